using System.Buffers.Binary;

namespace OtelStorage.Storage.Blocks.Metadata;

/// <summary>
/// The fields of one span the extractor needs. IDs come as keys (<see cref="MetadataExtractor.TraceKey"/>,
/// <see cref="MetadataExtractor.SpanKey"/>); <paramref name="Parent"/> is null for a root span.
/// </summary>
public readonly record struct SpanFacts(
    UInt128 Trace,
    ulong Span,
    ulong? Parent,
    string Service,
    string Operation,
    int Kind,
    bool IsError,
    long DurationNanos);

/// <summary>What <see cref="MetadataExtractor"/> found in one block.</summary>
public sealed record ExtractedMetadata(
    IReadOnlyList<DependencyEdge> Dependencies,
    IReadOnlyList<ServiceStatistics> Services,
    IReadOnlyList<OperationStatistics> Operations,
    long TraceCount);

/// <summary>
/// Derives service dependencies and per-service and per-operation statistics from a block's spans, so Query.Api
/// answers <c>/services</c> and <c>/dependencies</c> from meta.json without scanning spans. An edge needs both
/// the parent and the child span in the same block; the batcher's blocks hold whole requests, so a trace split
/// across blocks loses only the edges that cross the split.
/// </summary>
public static class MetadataExtractor
{
    private const int KindServer = 2;
    private const int KindConsumer = 5;

    public static ExtractedMetadata Extract(ReadOnlySpan<SpanFacts> spans)
    {
        var serviceOfSpan = new Dictionary<(UInt128 Trace, ulong Span), string>(spans.Length);
        var traces = new HashSet<UInt128>();
        foreach (ref readonly var s in spans)
        {
            traces.Add(s.Trace);
            serviceOfSpan[(s.Trace, s.Span)] = s.Service;
        }

        var edges = new Dictionary<(string, string), DependencyEdge>();
        var services = new Dictionary<string, ServiceStatistics>(StringComparer.Ordinal);
        var operations = new Dictionary<(string, string, int), OperationStatistics>();
        // Writers pass the same string instances for repeated names; a reference-keyed cache in front of the
        // content-keyed map skips hashing two strings per span.
        var byReference = new Dictionary<(string, string, int), OperationStatistics>(ReferenceKeyComparer.Instance);
        foreach (ref readonly var s in spans)
        {
            if (!byReference.TryGetValue((s.Service, s.Operation, s.Kind), out var op))
            {
                op = GetOrAdd(operations, (s.Service, s.Operation, s.Kind), k => new OperationStatistics { Service = k.Item1, Operation = k.Item2, Kind = k.Item3 });
                byReference[(s.Service, s.Operation, s.Kind)] = op;
            }

            Count(ref op, s);

            var isRoot = s.Parent is null;
            string? parentService = null;
            if (s.Parent is { } parent)
            {
                serviceOfSpan.TryGetValue((s.Trace, parent), out parentService);
            }

            if (isRoot || s.Kind is KindServer or KindConsumer)
            {
                var svc = GetOrAdd(services, s.Service, k => new ServiceStatistics { Service = k });
                svc.RequestCount++;
                svc.ErrorCount += s.IsError ? 1 : 0;
                svc.Duration.Add(s.DurationNanos);
            }

            if (parentService is not null && !string.Equals(parentService, s.Service, StringComparison.Ordinal))
            {
                var edge = GetOrAdd(edges, (parentService, s.Service), k => new DependencyEdge { Parent = k.Item1, Child = k.Item2 });
                edge.CallCount++;
                edge.ErrorCount += s.IsError ? 1 : 0;
                edge.Duration.Add(s.DurationNanos);
            }
        }

        foreach (var e in edges.Values)
        {
            e.Duration.ComputePercentiles();
        }

        foreach (var s in services.Values)
        {
            s.Duration.ComputePercentiles();
        }

        foreach (var o in operations.Values)
        {
            o.Duration.ComputePercentiles();
        }

        return new ExtractedMetadata(
            [.. edges.Values.OrderBy(e => e.Parent, StringComparer.Ordinal).ThenBy(e => e.Child, StringComparer.Ordinal)],
            [.. services.Values.OrderBy(s => s.Service, StringComparer.Ordinal)],
            [.. operations.Values.OrderBy(o => o.Service, StringComparer.Ordinal).ThenBy(o => o.Operation, StringComparer.Ordinal).ThenBy(o => o.Kind)],
            traces.Count);
    }

    private static void Count(ref OperationStatistics op, in SpanFacts s)
    {
        op.RequestCount++;
        op.ErrorCount += s.IsError ? 1 : 0;
        op.Duration.Add(s.DurationNanos);
    }

    private static TValue GetOrAdd<TKey, TValue>(Dictionary<TKey, TValue> map, TKey key, Func<TKey, TValue> create)
        where TKey : notnull
    {
        if (!map.TryGetValue(key, out var value))
        {
            value = create(key);
            map[key] = value;
        }

        return value;
    }

    private sealed class ReferenceKeyComparer : IEqualityComparer<(string, string, int)>
    {
        public static readonly ReferenceKeyComparer Instance = new();

        public bool Equals((string, string, int) x, (string, string, int) y) =>
            ReferenceEquals(x.Item1, y.Item1) && ReferenceEquals(x.Item2, y.Item2) && x.Item3 == y.Item3;

        public int GetHashCode((string, string, int) obj) =>
            HashCode.Combine(System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(obj.Item1), System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(obj.Item2), obj.Item3);
    }

    public static UInt128 TraceKey(ReadOnlySpan<byte> id) =>
        id.Length == 16 ? BinaryPrimitives.ReadUInt128BigEndian(id) : (UInt128)(ulong)id.Length << 64 | (ulong)FallbackHash(id);

    public static ulong SpanKey(ReadOnlySpan<byte> id) =>
        id.Length == 8 ? BinaryPrimitives.ReadUInt64BigEndian(id) : (ulong)FallbackHash(id);

    // Ingest validates ID lengths; this only keeps the extractor total for malformed input.
    private static long FallbackHash(ReadOnlySpan<byte> id)
    {
        var hash = new HashCode();
        hash.AddBytes(id);
        return hash.ToHashCode();
    }
}
