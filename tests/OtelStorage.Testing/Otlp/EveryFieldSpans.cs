using System.Diagnostics;
using Google.Protobuf;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Trace.V1;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Xunit;
using ProtoStatus = OpenTelemetry.Proto.Trace.V1.Status;

namespace OtelStorage.Testing.Otlp;

/// <summary>
/// Spans with every OTLP field set, made by the official OpenTelemetry .NET SDK and exported by its
/// OtlpExporter, and the assertions that each field arrived intact in our generated types.
/// </summary>
public sealed class EveryFieldSpans
{
    public const string ServiceName = "wire-service";
    public const string ScopeVersion = "4.5.6";

    private static readonly DateTime Start = new(2026, 11, 25, 8, 0, 0, 123, DateTimeKind.Utc);

    public string ScopeName { get; } = "OtelStorage.Tests.Wire." + Guid.NewGuid().ToString("N")[..8];

    public ActivityTraceId RemoteTraceId { get; } = ActivityTraceId.CreateRandom();
    public ActivitySpanId RemoteParentId { get; } = ActivitySpanId.CreateRandom();
    public ActivityTraceId LinkTraceId { get; } = ActivityTraceId.CreateRandom();
    public ActivitySpanId LinkSpanId { get; } = ActivitySpanId.CreateRandom();

    public List<Activity> Emitted { get; } = [];

    /// <summary>Exports the spans through an OtlpExporter to <paramref name="endpoint"/> and returns once the export finished.</summary>
    public void Export(Uri endpoint, OtlpExportProtocol protocol, IReadOnlyDictionary<string, string>? headers = null)
    {
        using var provider = Sdk.CreateTracerProviderBuilder()
            .AddSource(ScopeName)
            .SetSampler(new AlwaysOnSampler())
            .SetResourceBuilder(ResourceBuilder.CreateEmpty()
                .AddService(ServiceName, serviceNamespace: "otelstorage", serviceVersion: "1.2.3", autoGenerateServiceInstanceId: false, serviceInstanceId: "instance-1")
                .AddAttributes(
                [
                    new("deployment.environment.name", "test"),
                    new("host.cores", 2L),
                    new("host.up", true),
                    new("host.load", 0.5),
                ]))
            .AddOtlpExporter(o =>
            {
                o.Endpoint = endpoint;
                o.Protocol = protocol;
                o.ExportProcessorType = ExportProcessorType.Simple;
                if (headers is not null)
                {
                    o.Headers = string.Join(',', headers.Select(h => $"{h.Key}={h.Value}"));
                }
            })
            .Build();

        using var source = new ActivitySource(ScopeName, ScopeVersion, [new("scope.attr", "scope-value")]);
        var remoteParent = new ActivityContext(RemoteTraceId, RemoteParentId, ActivityTraceFlags.Recorded, "vendor=abc", isRemote: true);
        var link = new ActivityLink(
            new ActivityContext(LinkTraceId, LinkSpanId, ActivityTraceFlags.Recorded, "linkvendor=xyz"),
            new ActivityTagsCollection { ["link.attr"] = "v", ["link.n"] = 7L });

        using (var server = source.StartActivity("GET /orders/{id}", ActivityKind.Server, remoteParent, links: [link], startTime: Start)!)
        {
            server.SetTag("http.request.method", "GET");
            server.SetTag("http.response.status_code", 500);
            server.SetTag("big", long.MaxValue);
            server.SetTag("ratio", 0.25);
            server.SetTag("ok", false);
            server.SetTag("strings", new[] { "a", "b" });
            server.SetTag("longs", new[] { 1L, -2L });
            server.SetTag("doubles", new[] { 1.5, -2.5 });
            server.SetTag("bools", new[] { true, false });
            server.AddEvent(new ActivityEvent("cache.miss", Start.AddMilliseconds(1), new ActivityTagsCollection { ["cache.key"] = "k1", ["attempt"] = 2L }));
            server.SetStatus(ActivityStatusCode.Error, "boom");
            Emitted.Add(server);

            using (var client = source.StartActivity("SELECT orders", ActivityKind.Client, server.Context, startTime: Start.AddMilliseconds(2))!)
            {
                client.SetTag("db.system.name", "postgresql");
                client.SetStatus(ActivityStatusCode.Ok);
                client.SetEndTime(Start.AddMilliseconds(5));
                Emitted.Add(client);
            }

            foreach (var kind in new[] { ActivityKind.Internal, ActivityKind.Producer, ActivityKind.Consumer })
            {
                using var other = source.StartActivity("kind " + kind, kind, server.Context, startTime: Start.AddMilliseconds(6))!;
                other.SetEndTime(Start.AddMilliseconds(7));
                Emitted.Add(other);
            }

            server.SetEndTime(Start.AddMilliseconds(10));
        }

        provider.ForceFlush(10_000);
    }

    /// <summary>Asserts that <paramref name="received"/> holds exactly the emitted spans, every field intact.</summary>
    public void AssertEveryField(IReadOnlyCollection<ResourceSpans> received)
    {
        var all = received.SelectMany(r => r.ScopeSpans.SelectMany(s => s.Spans.Select(span => (Resource: r, Scope: s, Span: span)))).ToList();
        Assert.Equal(Emitted.Count, all.Count);
        foreach (var (resourceSpans, scopeSpans, _) in all)
        {
            var resource = Attributes(resourceSpans.Resource.Attributes);
            Assert.Equal(ServiceName, resource["service.name"].StringValue);
            Assert.Equal("otelstorage", resource["service.namespace"].StringValue);
            Assert.Equal("1.2.3", resource["service.version"].StringValue);
            Assert.Equal("instance-1", resource["service.instance.id"].StringValue);
            Assert.Equal("test", resource["deployment.environment.name"].StringValue);
            Assert.Equal(2L, resource["host.cores"].IntValue);
            Assert.True(resource["host.up"].BoolValue);
            Assert.Equal(0.5, resource["host.load"].DoubleValue);

            Assert.Equal(ScopeName, scopeSpans.Scope.Name);
            Assert.Equal(ScopeVersion, scopeSpans.Scope.Version);
            Assert.Equal("scope-value", Attributes(scopeSpans.Scope.Attributes)["scope.attr"].StringValue);
        }

        var byName = all.ToDictionary(x => x.Span.Name, x => x.Span);
        foreach (var activity in Emitted)
        {
            var span = byName[activity.DisplayName];
            Assert.Equal(Bytes(activity.TraceId), span.TraceId);
            Assert.Equal(Bytes(activity.SpanId), span.SpanId);
            Assert.Equal(Bytes(activity.ParentSpanId), span.ParentSpanId);
            Assert.Equal((int)activity.Kind + 1, (int)span.Kind);
            Assert.Equal(Nanos(activity.StartTimeUtc), span.StartTimeUnixNano);
            Assert.Equal(Nanos(activity.StartTimeUtc + activity.Duration), span.EndTimeUnixNano);
            Assert.Equal(1u, span.Flags & 0xFF);
        }

        var server = byName["GET /orders/{id}"];
        Assert.Equal(Span.Types.SpanKind.Server, server.Kind);
        Assert.Equal(Bytes(RemoteTraceId), server.TraceId);
        Assert.Equal(Bytes(RemoteParentId), server.ParentSpanId);
        Assert.Equal("vendor=abc", server.TraceState);
        // The parent was remote, and the exporter says so through the SpanFlags remote bits.
        Assert.Equal(0x300u, server.Flags & 0x300);
        var attributes = Attributes(server.Attributes);
        Assert.Equal("GET", attributes["http.request.method"].StringValue);
        Assert.Equal(500L, attributes["http.response.status_code"].IntValue);
        Assert.Equal(long.MaxValue, attributes["big"].IntValue);
        Assert.Equal(0.25, attributes["ratio"].DoubleValue);
        Assert.Equal(AnyValue.ValueOneofCase.BoolValue, attributes["ok"].ValueCase);
        Assert.False(attributes["ok"].BoolValue);
        Assert.Equal(["a", "b"], attributes["strings"].ArrayValue.Values.Select(v => v.StringValue));
        Assert.Equal([1L, -2L], attributes["longs"].ArrayValue.Values.Select(v => v.IntValue));
        Assert.Equal([1.5, -2.5], attributes["doubles"].ArrayValue.Values.Select(v => v.DoubleValue));
        Assert.Equal([true, false], attributes["bools"].ArrayValue.Values.Select(v => v.BoolValue));

        var cacheMiss = Assert.Single(server.Events);
        Assert.Equal("cache.miss", cacheMiss.Name);
        Assert.Equal(Nanos(Start.AddMilliseconds(1)), cacheMiss.TimeUnixNano);
        Assert.Equal("k1", Attributes(cacheMiss.Attributes)["cache.key"].StringValue);
        Assert.Equal(2L, Attributes(cacheMiss.Attributes)["attempt"].IntValue);

        var link = Assert.Single(server.Links);
        Assert.Equal(Bytes(LinkTraceId), link.TraceId);
        Assert.Equal(Bytes(LinkSpanId), link.SpanId);
        Assert.Equal("linkvendor=xyz", link.TraceState);
        Assert.Equal("v", Attributes(link.Attributes)["link.attr"].StringValue);
        Assert.Equal(7L, Attributes(link.Attributes)["link.n"].IntValue);

        Assert.Equal(ProtoStatus.Types.StatusCode.Error, server.Status.Code);
        Assert.Equal("boom", server.Status.Message);

        var client = byName["SELECT orders"];
        Assert.Equal(Span.Types.SpanKind.Client, client.Kind);
        Assert.Equal(server.SpanId, client.ParentSpanId);
        Assert.Equal(ProtoStatus.Types.StatusCode.Ok, client.Status.Code);
        Assert.Equal("postgresql", Attributes(client.Attributes)["db.system.name"].StringValue);
        Assert.Equal(Span.Types.SpanKind.Internal, byName["kind Internal"].Kind);
        Assert.Equal(Span.Types.SpanKind.Producer, byName["kind Producer"].Kind);
        Assert.Equal(Span.Types.SpanKind.Consumer, byName["kind Consumer"].Kind);
    }

    public static Dictionary<string, AnyValue> Attributes(IEnumerable<KeyValue> attributes) => attributes.ToDictionary(a => a.Key, a => a.Value);

    public static ByteString Bytes(ActivityTraceId id)
    {
        var bytes = new byte[16];
        id.CopyTo(bytes);
        return ByteString.CopyFrom(bytes);
    }

    public static ByteString Bytes(ActivitySpanId id)
    {
        if (id == default)
        {
            return ByteString.Empty;
        }

        var bytes = new byte[8];
        id.CopyTo(bytes);
        return ByteString.CopyFrom(bytes);
    }

    private static ulong Nanos(DateTime utc) => (ulong)(utc - DateTime.UnixEpoch).Ticks * 100;
}
