using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace OtelStorage.Compaction;

/// <summary>The meter and activity source <c>OtelStorage.Compaction</c>.</summary>
public sealed class CompactionTelemetry : IDisposable
{
    public const string Name = "OtelStorage.Compaction";

    public static readonly ActivitySource Source = new(Name);

    private readonly Meter _meter;
    private readonly ConcurrentDictionary<string, int> _backlog = new(StringComparer.Ordinal);

    public CompactionTelemetry(IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(Name);
        SourceBlocksCompacted = _meter.CreateCounter<long>("otelstorage.compaction.blocks.compacted", "{block}", "Source blocks merged into compacted blocks.");
        BlocksWritten = _meter.CreateCounter<long>("otelstorage.compaction.blocks.written", "{block}", "Compacted blocks committed.");
        BytesBefore = _meter.CreateCounter<long>("otelstorage.compaction.bytes.before", "By", "Bytes (data and index) of the source blocks compacted.");
        BytesAfter = _meter.CreateCounter<long>("otelstorage.compaction.bytes.after", "By", "Bytes (data and index) of the compacted blocks written.");
        SpansWritten = _meter.CreateCounter<long>("otelstorage.compaction.spans.written", "{span}", "Distinct spans written into compacted blocks.");
        DuplicatesRemoved = _meter.CreateCounter<long>("otelstorage.compaction.duplicates.removed", "{span}", "Duplicate spans (same trace ID and span ID) dropped by compaction.");
        SourcesDeleted = _meter.CreateCounter<long>("otelstorage.compaction.sources.deleted", "{block}", "Replaced source blocks deleted after the grace period.");
        OrphansDeleted = _meter.CreateCounter<long>("otelstorage.compaction.orphans.deleted", "{block}", "Uncommitted blocks of interrupted writes deleted.");
        RetentionDeleted = _meter.CreateCounter<long>("otelstorage.retention.blocks.deleted", "{block}", "Blocks deleted by retention.");
        Jobs = _meter.CreateCounter<long>("otelstorage.compaction.jobs", "{job}", "Jobs finished, by kind and outcome (done, skipped, skipped_in_progress, failed).");
        JobsRunning = _meter.CreateUpDownCounter<long>("otelstorage.compaction.jobs.running", "{job}", "Jobs running now, by kind.");
        JobDuration = _meter.CreateHistogram<double>("otelstorage.compaction.job.duration", "s", "Time to run one job.");
        _meter.CreateObservableGauge(
            "otelstorage.compaction.backlog",
            () => _backlog.Select(b => new Measurement<int>(b.Value, new KeyValuePair<string, object?>("tenant", b.Key))),
            "{block}",
            "Small visible blocks waiting to be compacted, per tenant, as of the last plan.");
    }

    public Counter<long> SourceBlocksCompacted { get; }

    public Counter<long> BlocksWritten { get; }

    public Counter<long> BytesBefore { get; }

    public Counter<long> BytesAfter { get; }

    public Counter<long> SpansWritten { get; }

    public Counter<long> DuplicatesRemoved { get; }

    public Counter<long> SourcesDeleted { get; }

    public Counter<long> OrphansDeleted { get; }

    public Counter<long> RetentionDeleted { get; }

    public Counter<long> Jobs { get; }

    public UpDownCounter<long> JobsRunning { get; }

    public Histogram<double> JobDuration { get; }

    /// <summary>The backlog of the tenants seen by the last plan; tenants no longer listed are dropped.</summary>
    public void SetBacklog(IReadOnlyDictionary<string, int> backlog)
    {
        foreach (var tenant in _backlog.Keys.Where(t => !backlog.ContainsKey(t)))
        {
            _backlog.TryRemove(tenant, out _);
        }

        foreach (var (tenant, count) in backlog)
        {
            _backlog[tenant] = count;
        }
    }

    public int Backlog(string tenant) => _backlog.GetValueOrDefault(tenant);

    public void Dispose() => _meter.Dispose();
}
