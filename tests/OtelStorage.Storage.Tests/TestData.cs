using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;
using OtelStorage.Storage.Blocks;
using OtelStorage.Storage.ObjectStore;

namespace OtelStorage.Storage.Tests;

internal static class TestData
{
    public static byte[] Id(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>Every AnyValue kind, nested arrays and maps, and an empty value.</summary>
    public static IEnumerable<KeyValue> EveryAnyValueKind() =>
    [
        new() { Key = "s", Value = new AnyValue { StringValue = "text ✓" } },
        new() { Key = "b", Value = new AnyValue { BoolValue = true } },
        new() { Key = "i", Value = new AnyValue { IntValue = long.MinValue } },
        new() { Key = "d", Value = new AnyValue { DoubleValue = -0.0 } },
        new() { Key = "nan", Value = new AnyValue { DoubleValue = double.NaN } },
        new() { Key = "bytes", Value = new AnyValue { BytesValue = ByteString.CopyFrom(0, 1, 2, 255) } },
        new()
        {
            Key = "array",
            Value = new AnyValue { ArrayValue = new ArrayValue { Values = { new AnyValue { IntValue = 1 }, new AnyValue { StringValue = "two" }, new AnyValue() } } },
        },
        new()
        {
            Key = "kvlist",
            Value = new AnyValue
            {
                KvlistValue = new KeyValueList
                {
                    Values =
                    {
                        new KeyValue { Key = "nested", Value = new AnyValue { KvlistValue = new KeyValueList { Values = { new KeyValue { Key = "deep", Value = new AnyValue { BoolValue = false } } } } } },
                    },
                },
            },
        },
        new() { Key = "empty", Value = new AnyValue() },
        new() { Key = "no-value" },
        // The string-table forms (profiles' dictionary indexes), which trace data may carry too.
        new() { Key = "strindex", Value = new AnyValue { StringValueStrindex = 7 } },
        new() { KeyStrindex = 3, Value = new AnyValue { IntValue = 2 } },
    ];

    /// <summary>A copy of <paramref name="span"/> with another span ID and fields a later OTLP version might add (numbers 111 and 112, a group), which readers keep as unknown.</summary>
    private static Span WithUnknownField(Span span, int idSeed)
    {
        var copy = span.Clone();
        copy.SpanId = ByteString.CopyFrom(Id(8, idSeed + 100));
        // Field 111 as a varint, and field 112 as a group holding a varint (groups are legal protobuf, unused by OTLP).
        return Span.Parser.ParseFrom([.. copy.ToByteArray(), 0xF8, 0x06, 0x2A, 0x83, 0x07, 0x08, 0x05, 0x84, 0x07]);
    }

    /// <summary>A request whose resource, scope and spans set every field OTLP defines, and an unknown field.</summary>
    public static ExportTraceServiceRequest EveryField()
    {
        var traceId = ByteString.CopyFrom(Id(16, 1));
        var span = new Span
        {
            TraceId = traceId,
            SpanId = ByteString.CopyFrom(Id(8, 2)),
            ParentSpanId = ByteString.CopyFrom(Id(8, 3)),
            TraceState = "vendor=opaque,other=1",
            Flags = 0x301,
            Name = "every field",
            Kind = Span.Types.SpanKind.Consumer,
            StartTimeUnixNano = 1_764_061_200_123_456_789UL,
            EndTimeUnixNano = 1_764_061_200_223_456_789UL,
            Attributes = { EveryAnyValueKind() },
            DroppedAttributesCount = 3,
            Events =
            {
                new Span.Types.Event { TimeUnixNano = 1_764_061_200_150_000_000UL, Name = "event", Attributes = { EveryAnyValueKind() }, DroppedAttributesCount = 4 },
                new Span.Types.Event(),
            },
            DroppedEventsCount = 5,
            Links =
            {
                new Span.Types.Link
                {
                    TraceId = ByteString.CopyFrom(Id(16, 4)),
                    SpanId = ByteString.CopyFrom(Id(8, 5)),
                    TraceState = "link=state",
                    Attributes = { EveryAnyValueKind() },
                    DroppedAttributesCount = 6,
                    Flags = 0x201,
                },
            },
            DroppedLinksCount = 7,
            Status = new Status { Code = Status.Types.StatusCode.Error, Message = "boom" },
        };

        // A span whose end precedes its start, and one with an empty status: both must come back as they were.
        var odd = new Span
        {
            TraceId = traceId,
            SpanId = ByteString.CopyFrom(Id(8, 6)),
            Name = "odd",
            StartTimeUnixNano = ulong.MaxValue - 5,
            EndTimeUnixNano = 7,
            Status = new Status(),
            Flags = 0xFFFF_FFFF,
        };

        return new ExportTraceServiceRequest
        {
            ResourceSpans =
            {
                new ResourceSpans
                {
                    Resource = new Resource
                    {
                        Attributes = { new KeyValue { Key = "service.name", Value = new AnyValue { StringValue = "every-service" } }, EveryAnyValueKind() },
                        DroppedAttributesCount = 8,
                        EntityRefs = { new EntityRef { SchemaUrl = "https://example.com/e", Type = "service", IdKeys = { "service.name" }, DescriptionKeys = { "service.version" } } },
                    },
                    SchemaUrl = "https://opentelemetry.io/schemas/1.26.0",
                    ScopeSpans =
                    {
                        new ScopeSpans
                        {
                            Scope = new InstrumentationScope { Name = "scope", Version = "1.2.3", Attributes = { EveryAnyValueKind() }, DroppedAttributesCount = 9 },
                            SchemaUrl = "https://opentelemetry.io/schemas/1.25.0",
                            Spans = { span, odd, WithUnknownField(odd, 8) },
                        },
                        new ScopeSpans { Spans = { new Span { TraceId = ByteString.CopyFrom(Id(16, 7)), SpanId = ByteString.CopyFrom(Id(8, 8)) } } },
                    },
                },
                new ResourceSpans
                {
                    ScopeSpans = { new ScopeSpans { Scope = new InstrumentationScope(), Spans = { new Span { TraceId = ByteString.CopyFrom(Id(16, 9)), SpanId = ByteString.CopyFrom(Id(8, 10)), Name = "no resource" } } } },
                },
            },
        };
    }

    /// <summary>(resource, scope, span) as protobuf bytes, for every span of the requests: the lossless yardstick.</summary>
    public static List<string> Fingerprints(IEnumerable<ExportTraceServiceRequest> requests) =>
    [
        .. requests.SelectMany(r => r.ResourceSpans).SelectMany(rs => rs.ScopeSpans.SelectMany(ss => ss.Spans.Select(s =>
            Fingerprint(rs.Resource, rs.SchemaUrl, ss.Scope, ss.SchemaUrl, s)))).Order(StringComparer.Ordinal),
    ];

    public static List<string> Fingerprints(IEnumerable<StoredSpan> spans) =>
        [.. spans.Select(s => Fingerprint(s.Resource, s.ResourceSchemaUrl, s.Scope, s.ScopeSchemaUrl, s.Span)).Order(StringComparer.Ordinal)];

    private static string Fingerprint(Resource? resource, string resourceSchema, InstrumentationScope? scope, string scopeSchema, Span span) =>
        string.Join('|',
            resource is null ? "-" : Convert.ToBase64String(resource.ToByteArray()),
            resourceSchema,
            scope is null ? "-" : Convert.ToBase64String(scope.ToByteArray()),
            scopeSchema,
            Convert.ToBase64String(span.ToByteArray()));

    /// <summary>Builds, writes and returns a committed block from the requests (which are consumed).</summary>
    public static async Task<BlockMeta> WriteBlockAsync(BlockStore store, string tenant, IEnumerable<ExportTraceServiceRequest> requests, BlockBuildOptions? options = null, DateTimeOffset? at = null)
    {
        var builder = BlockEncodings.Current.CreateBuilder(tenant, options ?? new BlockBuildOptions());
        foreach (var r in requests)
        {
            builder.Add(r);
        }

        var time = at ?? DateTimeOffset.UtcNow;
        var block = await builder.BuildAsync(BlockId.New(time), time, CancellationToken.None);
        await store.WriteAsync(block, CancellationToken.None);
        return block.Meta;
    }

    public static BlockStore FileStore(out string folder)
    {
        folder = Path.Combine(Path.GetTempPath(), "otelstorage-fs-" + Guid.NewGuid().ToString("N")[..8]);
        return new BlockStore(new FileSystemObjectStore(folder), new BlockKeys("blocks"));
    }
}

/// <summary>Counts reads, to prove how many objects a lookup touches.</summary>
internal sealed class CountingObjectStore(IObjectStore inner) : IObjectStore
{
    public int Reads;
    public int RangeReads;
    public long BytesRead;

    public async Task<byte[]?> ReadAsync(string key, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref Reads);
        var bytes = await inner.ReadAsync(key, cancellationToken);
        Interlocked.Add(ref BytesRead, bytes?.Length ?? 0);
        return bytes;
    }

    public async Task<byte[]> ReadRangeAsync(string key, long offset, int length, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref RangeReads);
        var bytes = await inner.ReadRangeAsync(key, offset, length, cancellationToken);
        Interlocked.Add(ref BytesRead, bytes.Length);
        return bytes;
    }

    public Task WriteAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken) => inner.WriteAsync(key, content, cancellationToken);

    public IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, string? startAfter, CancellationToken cancellationToken) => inner.ListAsync(prefix, startAfter, cancellationToken);

    public Task DeleteAsync(string key, CancellationToken cancellationToken) => inner.DeleteAsync(key, cancellationToken);

    public Task CheckAsync(CancellationToken cancellationToken) => inner.CheckAsync(cancellationToken);
}
