using OtelStorage.Storage.Blocklist;
using OtelStorage.Storage.Blocks;
using OtelStorage.Storage.Blocks.Metadata;

namespace Query.Api.Reading;

public sealed record ServiceSummary(string Name, long RequestCount, long ErrorCount, long DurationP50Nanos, long DurationP99Nanos);

public sealed record OperationSummary(string Name, int Kind, long SpanCount, long ErrorCount, long DurationP50Nanos, long DurationP99Nanos);

public sealed record DependencySummary(string Parent, string Child, long CallCount, long ErrorCount, long DurationP50Nanos, long DurationP99Nanos);

/// <summary>
/// Services, operations and dependencies from the blocks' meta.json alone (the metadata extractor's output):
/// no span is read. Summaries of the blocks overlapping the window are merged.
/// </summary>
public sealed class MetadataReader(BlockCatalog catalog)
{
    /// <summary>The metas of the tenant's blocks overlapping the window, newest first.</summary>
    public async Task<IReadOnlyList<BlockMeta>> BlocksAsync(string tenant, ulong start, ulong end, CancellationToken cancellationToken) =>
        [.. (await catalog.GetAsync(tenant, cancellationToken)).Overlapping(start, end)];

    public async Task<IReadOnlyList<ServiceSummary>> ServicesAsync(string tenant, ulong start, ulong end, CancellationToken cancellationToken)
    {
        var blocks = (await catalog.GetAsync(tenant, cancellationToken)).Overlapping(start, end).ToList();
        var names = new SortedSet<string>(blocks.SelectMany(b => b.Services), StringComparer.Ordinal);
        var stats = new Dictionary<string, (long Requests, long Errors, DurationSummary Duration)>(StringComparer.Ordinal);
        foreach (var s in blocks.SelectMany(b => b.ServiceStatistics))
        {
            var (requests, errors, duration) = stats.GetValueOrDefault(s.Service, (0, 0, new DurationSummary()));
            duration.Merge(s.Duration);
            stats[s.Service] = (requests + s.RequestCount, errors + s.ErrorCount, duration);
        }

        return
        [
            .. names.Select(n => stats.TryGetValue(n, out var s)
                ? new ServiceSummary(n, s.Requests, s.Errors, s.Duration.P50Nanos, s.Duration.P99Nanos)
                : new ServiceSummary(n, 0, 0, 0, 0)),
        ];
    }

    /// <summary>Operations of a service by (name, kind), sorted by name then kind.</summary>
    public async Task<IReadOnlyList<OperationSummary>> OperationsAsync(string tenant, string service, ulong start, ulong end, CancellationToken cancellationToken)
    {
        var blocks = (await catalog.GetAsync(tenant, cancellationToken)).Overlapping(start, end).ToList();
        var stats = new SortedDictionary<(string, int), (long Spans, long Errors, DurationSummary Duration)>(
            Comparer<(string Name, int Kind)>.Create((a, b) => string.CompareOrdinal(a.Name, b.Name) is var c && c != 0 ? c : a.Kind.CompareTo(b.Kind)));
        foreach (var o in blocks.SelectMany(b => b.OperationStatistics).Where(o => o.Service == service))
        {
            var (spans, errors, duration) = stats.GetValueOrDefault((o.Operation, o.Kind), (0, 0, new DurationSummary()));
            duration.Merge(o.Duration);
            stats[(o.Operation, o.Kind)] = (spans + o.RequestCount, errors + o.ErrorCount, duration);
        }

        // Blocks from a writer without statistics still list their operations.
        foreach (var name in blocks.SelectMany(b => b.Operations.TryGetValue(service, out var ops) ? ops : []))
        {
            if (!stats.Keys.Any(k => k.Item1 == name))
            {
                stats[(name, 0)] = (0, 0, new DurationSummary());
            }
        }

        return [.. stats.Select(kv => new OperationSummary(kv.Key.Item1, kv.Key.Item2, kv.Value.Spans, kv.Value.Errors, kv.Value.Duration.P50Nanos, kv.Value.Duration.P99Nanos))];
    }

    /// <summary>Service dependency edges, sorted by parent then child.</summary>
    public async Task<IReadOnlyList<DependencySummary>> DependenciesAsync(string tenant, ulong start, ulong end, CancellationToken cancellationToken)
    {
        var blocks = (await catalog.GetAsync(tenant, cancellationToken)).Overlapping(start, end).ToList();
        var edges = new SortedDictionary<(string, string), (long Calls, long Errors, DurationSummary Duration)>(
            Comparer<(string Parent, string Child)>.Create((a, b) => string.CompareOrdinal(a.Parent, b.Parent) is var c && c != 0 ? c : string.CompareOrdinal(a.Child, b.Child)));
        foreach (var e in blocks.SelectMany(b => b.Dependencies))
        {
            var (calls, errors, duration) = edges.GetValueOrDefault((e.Parent, e.Child), (0, 0, new DurationSummary()));
            duration.Merge(e.Duration);
            edges[(e.Parent, e.Child)] = (calls + e.CallCount, errors + e.ErrorCount, duration);
        }

        return [.. edges.Select(kv => new DependencySummary(kv.Key.Item1, kv.Key.Item2, kv.Value.Calls, kv.Value.Errors, kv.Value.Duration.P50Nanos, kv.Value.Duration.P99Nanos))];
    }
}
