using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Trace.V1;
using OtelStorage.Otlp.Wire;
using OtelStorage.Storage.Blocks.Metadata;

namespace OtelStorage.Storage.Blocks.V1;

/// <summary>
/// Summarizes a v1 block's attributes and intrinsics (<see cref="AttributeSummaries"/>) from its rows: span, event and
/// link attributes from each span's <c>span_rest</c> bytes, resource and instrumentation attributes once per distinct
/// envelope, names by their string IDs. Rows from requests and rows copied by compaction look alike, so a merged block
/// is summarized from its own rows, exactly.
/// </summary>
internal sealed class V1AttributeSummarizer(SpanArena arena, BlockStrings strings, V1Envelopes envelopes, AttributeSummaryLimits limits)
{
    private static readonly string[] StatusNames = ["unset", "ok", "error"];
    private static readonly string[] KindNames = ["unspecified", "internal", "server", "client", "producer", "consumer"];

    /// <summary>The summaries of <paramref name="rows"/>, or null when a span's bytes do not parse (the block may then hold anything).</summary>
    public AttributeSummaries? Summarize(ReadOnlySpan<V1Row> rows)
    {
        var builder = new AttributeSummaryBuilder(limits);
        var names = new HashSet<int>();
        var rootNames = new HashSet<int>();
        var rootServices = new HashSet<int>();
        var codes = new HashSet<(int Status, int Kind)>();
        var resources = new bool[envelopes.Resources.Count];
        var scopes = new bool[envelopes.Scopes.Count];
        try
        {
            foreach (ref readonly var r in rows)
            {
                if (names.Add(r.Name))
                {
                    builder.AddValue(AttributeScope.Intrinsic, "name"u8, AttributeValueType.StringValue, arena.Span(strings.Utf8(r.Name)));
                }

                if (r.ParentSpanId.Length == 0)
                {
                    if (rootNames.Add(r.Name))
                    {
                        builder.AddValue(AttributeScope.Intrinsic, "rootName"u8, AttributeValueType.StringValue, arena.Span(strings.Utf8(r.Name)));
                    }

                    var service = envelopes.ResourceServices[r.Resource];
                    if (rootServices.Add(service))
                    {
                        builder.AddValue(AttributeScope.Intrinsic, "rootServiceName"u8, AttributeValueType.StringValue, arena.Span(strings.Utf8(service)));
                    }
                }

                if (codes.Add((r.StatusCode, r.Kind)))
                {
                    builder.AddValue(AttributeScope.Intrinsic, "status"u8, AttributeValueType.Keyword, Utf8(Name(StatusNames, r.StatusCode)));
                    builder.AddValue(AttributeScope.Intrinsic, "kind"u8, AttributeValueType.Keyword, Utf8(Name(KindNames, r.Kind)));
                }

                resources[r.Resource] = true;
                scopes[r.Scope] = true;
                AddSpan(builder, arena.Span(r.Rest));
            }

            for (var i = 0; i < resources.Length; i++)
            {
                if (resources[i])
                {
                    AddResource(builder, arena.Span(envelopes.Resources[i]));
                }
            }

            for (var i = 0; i < scopes.Length; i++)
            {
                if (scopes[i])
                {
                    AddScope(builder, arena.Span(envelopes.Scopes[i]));
                }
            }
        }
        catch (InvalidDataException)
        {
            return null;
        }

        return builder.Build();
    }

    private static string Name(string[] names, int code) => code >= 0 && code < names.Length ? names[code] : code.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static byte[] Utf8(string text) => System.Text.Encoding.UTF8.GetBytes(text);

    /// <summary>Attributes (field 9), events (11), links (13) and the status message (15) of a span's rest.</summary>
    private static void AddSpan(AttributeSummaryBuilder builder, ReadOnlySpan<byte> rest)
    {
        var wire = new ProtoWire(rest);
        while (wire.TryReadTag(out var field, out var wireType))
        {
            switch (field, wireType)
            {
                case (Span.AttributesFieldNumber, ProtoWire.Len):
                    builder.AddKeyValue(AttributeScope.Span, wire.ReadLengthDelimited());
                    break;
                case (Span.EventsFieldNumber, ProtoWire.Len):
                    AddNested(builder, wire.ReadLengthDelimited(), AttributeScope.Event, Span.Types.Event.AttributesFieldNumber, Span.Types.Event.NameFieldNumber, "event:name"u8);
                    break;
                case (Span.LinksFieldNumber, ProtoWire.Len):
                    AddNested(builder, wire.ReadLengthDelimited(), AttributeScope.Link, Span.Types.Link.AttributesFieldNumber, 0, default);
                    break;
                case (Span.StatusFieldNumber, ProtoWire.Len):
                    AddNested(builder, wire.ReadLengthDelimited(), AttributeScope.Intrinsic, 0, Status.MessageFieldNumber, "statusMessage"u8);
                    break;
                default:
                    wire.SkipField(field, wireType);
                    break;
            }
        }
    }

    /// <summary>The attributes of a message (field <paramref name="attributes"/>) and one string field of it as an intrinsic.</summary>
    private static void AddNested(AttributeSummaryBuilder builder, ReadOnlySpan<byte> message, AttributeScope scope, int attributes, int named, ReadOnlySpan<byte> intrinsic)
    {
        var wire = new ProtoWire(message);
        while (wire.TryReadTag(out var field, out var wireType))
        {
            if (wireType != ProtoWire.Len)
            {
                wire.SkipField(field, wireType);
            }
            else if (field == attributes)
            {
                builder.AddKeyValue(scope, wire.ReadLengthDelimited());
            }
            else if (field == named)
            {
                var text = wire.ReadLengthDelimited();
                if (!text.IsEmpty)
                {
                    builder.AddValue(AttributeScope.Intrinsic, intrinsic, AttributeValueType.StringValue, text);
                }
            }
            else
            {
                wire.SkipField(field, wireType);
            }
        }
    }

    /// <summary>A resource envelope: ResourceSpans field 1, the Resource, whose field 1 holds its attributes.</summary>
    private static void AddResource(AttributeSummaryBuilder builder, ReadOnlySpan<byte> envelope)
    {
        var wire = new ProtoWire(envelope);
        while (wire.TryReadTag(out var field, out var wireType))
        {
            if (field == 1 && wireType == ProtoWire.Len)
            {
                AddNested(builder, wire.ReadLengthDelimited(), AttributeScope.Resource, OpenTelemetry.Proto.Resource.V1.Resource.AttributesFieldNumber, 0, default);
            }
            else
            {
                wire.SkipField(field, wireType);
            }
        }
    }

    /// <summary>A scope envelope: ScopeSpans field 1, the InstrumentationScope: name, version and attributes.</summary>
    private static void AddScope(AttributeSummaryBuilder builder, ReadOnlySpan<byte> envelope)
    {
        var wire = new ProtoWire(envelope);
        while (wire.TryReadTag(out var field, out var wireType))
        {
            if (field == 1 && wireType == ProtoWire.Len)
            {
                var scope = wire.ReadLengthDelimited();
                AddNested(builder, scope, AttributeScope.Instrumentation, InstrumentationScope.AttributesFieldNumber, InstrumentationScope.NameFieldNumber, "instrumentation:name"u8);
                AddNested(builder, scope, AttributeScope.Instrumentation, 0, InstrumentationScope.VersionFieldNumber, "instrumentation:version"u8);
            }
            else
            {
                wire.SkipField(field, wireType);
            }
        }
    }
}
