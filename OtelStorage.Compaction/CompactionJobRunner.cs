using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OtelStorage.Compaction.Retention;
using OtelStorage.Messaging;
using OtelStorage.Storage.Blocks;
using OtelStorage.Tenancy;

namespace OtelStorage.Compaction;

/// <summary>Publishes follow-up jobs (with publisher confirms) before the job that produced them is acknowledged.</summary>
public delegate Task PublishJobs(IReadOnlyList<CompactionJob> jobs, CancellationToken cancellationToken);

/// <summary>
/// Runs one job from the compaction queue against the block store. Every job is safe to run again: a plan judges
/// only by what is stored, and a compact job checks first that no committed block replaces its sources yet.
/// Jobs may run concurrently (<see cref="CompactionOptions.Concurrency"/>); a job that overlaps one in progress in
/// this process (a compact job sharing a source with it, or a second plan) is skipped instead, because the job in
/// progress either finishes the work or fails and is redelivered itself, and the next plan replans whatever is left.
/// </summary>
public sealed partial class CompactionJobRunner(
    BlockStore store,
    IOptions<CompactionOptions> options,
    IOptions<RetentionOptions> retention,
    CompactionTelemetry telemetry,
    TimeProvider time,
    ILogger<CompactionJobRunner> logger)
{
    // meta.json reads in flight while a plan loads the blocks the tenant index does not hold.
    private const int MetaReads = 16;

    private readonly BlockCompactor _compactor = new(store, options.Value.ToBuildOptions(), time);
    private readonly CompactionSweeper _sweeper = new(store, time);
    private readonly RetentionEnforcer _retention = new(store, time);

    // "{tenant}/{blockId}" of the sources of the compact jobs in progress, guarded by _claimsLock.
    private readonly HashSet<string> _claimedSources = new(StringComparer.Ordinal);
    private readonly Lock _claimsLock = new();
    private int _planInProgress;

    public async Task RunAsync(CompactionJob job, PublishJobs publish, CancellationToken cancellationToken)
    {
        var kindTag = new KeyValuePair<string, object?>("kind", job.Kind.ToString());
        if (!TryClaim(job, out var claimed))
        {
            telemetry.Jobs.Add(1, kindTag, new KeyValuePair<string, object?>("outcome", "skipped_in_progress"));
            LogSkippedInProgress(job.Kind, job.Tenant, job.Sources.Count);
            return;
        }

        telemetry.JobsRunning.Add(1, kindTag);
        try
        {
            await RunClaimedAsync(job, publish, cancellationToken);
        }
        finally
        {
            telemetry.JobsRunning.Add(-1, kindTag);
            Release(job, claimed);
        }
    }

    private async Task RunClaimedAsync(CompactionJob job, PublishJobs publish, CancellationToken cancellationToken)
    {
        using var activity = CompactionTelemetry.Source.StartActivity($"compaction {job.Kind}", ActivityKind.Internal);
        activity?.SetTag("otelstorage.tenant", job.Tenant);
        var started = Stopwatch.GetTimestamp();
        var outcome = "failed";
        try
        {
            outcome = job.Kind switch
            {
                CompactionJobKind.Plan => await PlanAsync(publish, cancellationToken),
                CompactionJobKind.Compact => await CompactAsync(job, cancellationToken),
                _ => throw new InvalidDataException($"unknown compaction job kind '{job.Kind}'"),
            };
        }
        finally
        {
            var tags = new TagList { { "kind", job.Kind.ToString() }, { "outcome", outcome } };
            telemetry.Jobs.Add(1, tags);
            telemetry.JobDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, tags);
        }
    }

    /// <summary>Claims what the job works on: false when a job in progress holds part of it.</summary>
    private bool TryClaim(CompactionJob job, out string[] claimed)
    {
        claimed = [];
        switch (job.Kind)
        {
            case CompactionJobKind.Plan:
                return Interlocked.CompareExchange(ref _planInProgress, 1, 0) == 0;
            case CompactionJobKind.Compact:
                var keys = job.Sources.Select(id => $"{job.Tenant}/{id}").Distinct(StringComparer.Ordinal).ToArray();
                lock (_claimsLock)
                {
                    if (keys.Any(_claimedSources.Contains))
                    {
                        return false;
                    }

                    _claimedSources.UnionWith(keys);
                }

                claimed = keys;
                return true;
            default:
                return true;
        }
    }

    // The compact jobs in progress run on this process, the queue's single active consumer: their sources are still
    // visible until they commit, and planning them again would only queue a job that is skipped.
    private bool InProgress(string tenant, IReadOnlyList<string> sources)
    {
        lock (_claimsLock)
        {
            return sources.Any(id => _claimedSources.Contains($"{tenant}/{id}"));
        }
    }

    private void Release(CompactionJob job, string[] claimed)
    {
        if (job.Kind == CompactionJobKind.Plan)
        {
            Volatile.Write(ref _planInProgress, 0);
            return;
        }

        lock (_claimsLock)
        {
            _claimedSources.ExceptWith(claimed);
        }
    }

    private async Task<string> PlanAsync(PublishJobs publish, CancellationToken cancellationToken)
    {
        var o = options.Value;
        var r = retention.Value;
        var retentionPolicy = r.ToPolicy();
        var jobs = new List<CompactionJob>();
        var backlog = new Dictionary<string, int>(StringComparer.Ordinal);
        var tenants = await store.ListTenantsAsync(cancellationToken).ToListAsync(cancellationToken);
        foreach (var tenant in tenants)
        {
            var blocks = await store.ReadAllMetasAsync(tenant, MetaReads, cancellationToken);

            var swept = await _sweeper.SweepAsync(tenant, blocks, o.SourceDeleteGrace, o.OrphanGrace, cancellationToken);
            telemetry.SourcesDeleted.Add(swept.ReplacedDeleted, new KeyValuePair<string, object?>("tenant", tenant));
            telemetry.OrphansDeleted.Add(swept.OrphansDeleted, new KeyValuePair<string, object?>("tenant", tenant));
            if (swept.ReplacedDeleted + swept.OrphansDeleted > 0)
            {
                LogSwept(tenant, swept.ReplacedDeleted, swept.OrphansDeleted);
            }

            if (r.Enabled)
            {
                var expired = await _retention.ApplyAsync(tenant, blocks, retentionPolicy, cancellationToken);
                if (expired.Count > 0)
                {
                    telemetry.RetentionDeleted.Add(expired.Count, new KeyValuePair<string, object?>("tenant", tenant));
                    var period = retentionPolicy.PeriodFor(tenant);
                    LogExpired(tenant, expired.Count, period);
                    var gone = expired.ToHashSet(StringComparer.Ordinal);
                    blocks.RemoveAll(b => gone.Contains(b.BlockId));
                }
            }

            var remaining = await SurvivorsAsync(tenant, blocks, cancellationToken);
            await WriteTenantIndexAsync(tenant, remaining, cancellationToken);
            var plan = CompactionPlanner.Plan(tenant, remaining, o.ToPolicy(), time.GetUtcNow());
            backlog[tenant] = plan.OutstandingBlocks;
            jobs.AddRange(plan.Groups.Where(g => !InProgress(tenant, g.Sources)).Select(g => new CompactionJob { Kind = CompactionJobKind.Compact, Tenant = tenant, Sources = g.Sources, PublishedAt = time.GetUtcNow() }));
        }

        telemetry.SetBacklog(backlog);
        if (jobs.Count > 0)
        {
            await publish(jobs, cancellationToken);
            LogPlanned(jobs.Count, tenants.Count);
        }

        return "done";
    }

    // Query.Api reads it on a cold start; so does the next plan.
    private async Task WriteTenantIndexAsync(string tenant, List<BlockMeta> blocks, CancellationToken cancellationToken)
    {
        if (blocks.Count == 0)
        {
            await store.DeleteTenantIndexAsync(tenant, cancellationToken);
            return;
        }

        await store.WriteTenantIndexAsync(tenant, blocks, time.GetUtcNow(), cancellationToken);
    }

    // The sweep deleted some of the listed blocks; plan over the rest only.
    private async Task<List<BlockMeta>> SurvivorsAsync(string tenant, List<BlockMeta> blocks, CancellationToken cancellationToken)
    {
        var present = await store.ListBlockIdsAsync(tenant, null, cancellationToken).ToHashSetAsync(StringComparer.Ordinal, cancellationToken);
        return blocks.Where(b => present.Contains(b.BlockId)).ToList();
    }

    private async Task<string> CompactAsync(CompactionJob job, CancellationToken cancellationToken)
    {
        if (job.Tenant is null || !TenantId.IsValid(job.Tenant) || job.Sources.Count == 0 || !job.Sources.All(BlockId.IsValid))
        {
            throw new InvalidDataException($"compact job needs a valid tenant and block IDs, got tenant '{job.Tenant}' and {job.Sources.Count} sources");
        }

        var result = await _compactor.CompactAsync(job.Tenant, job.Sources, cancellationToken);
        var tenantTag = new KeyValuePair<string, object?>("tenant", job.Tenant);
        if (result.Block is not { } block)
        {
            LogSkipped(job.Tenant, job.Sources.Count, result.Skipped);
            return "skipped";
        }

        telemetry.SourceBlocksCompacted.Add(result.SourceBlocks, tenantTag);
        telemetry.BlocksWritten.Add(1, tenantTag);
        telemetry.BytesBefore.Add(result.SourceBytes, tenantTag);
        telemetry.BytesAfter.Add(result.BytesAfter, tenantTag);
        telemetry.SpansWritten.Add(block.SpanCount, tenantTag);
        telemetry.DuplicatesRemoved.Add(result.DuplicatesRemoved, tenantTag);
        LogCompacted(job.Tenant, result.SourceBlocks, block.BlockId, block.SpanCount, result.DuplicatesRemoved, result.SourceBytes, result.BytesAfter);
        return "done";
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Compacted {Sources} blocks of tenant {Tenant} into {BlockId}: {Spans} spans, {Duplicates} duplicates removed, {BytesBefore} -> {BytesAfter} bytes")]
    private partial void LogCompacted(string tenant, int sources, string blockId, long spans, long duplicates, long bytesBefore, long bytesAfter);

    [LoggerMessage(Level = LogLevel.Information, Message = "Skipped compaction of {Sources} blocks of tenant {Tenant}: {Reason}")]
    private partial void LogSkipped(string tenant, int sources, CompactionSkipReason reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Skipped {Kind} job of tenant {Tenant} over {Sources} blocks: a job over the same work is in progress")]
    private partial void LogSkippedInProgress(CompactionJobKind kind, string? tenant, int sources);

    [LoggerMessage(Level = LogLevel.Information, Message = "Deleted {Replaced} replaced and {Orphans} orphaned blocks of tenant {Tenant}")]
    private partial void LogSwept(string tenant, int replaced, int orphans);

    [LoggerMessage(Level = LogLevel.Information, Message = "Retention deleted {Blocks} blocks of tenant {Tenant} older than {Period}")]
    private partial void LogExpired(string tenant, int blocks, TimeSpan period);

    [LoggerMessage(Level = LogLevel.Information, Message = "Planned {Jobs} compaction jobs over {Tenants} tenants")]
    private partial void LogPlanned(int jobs, int tenants);
}
