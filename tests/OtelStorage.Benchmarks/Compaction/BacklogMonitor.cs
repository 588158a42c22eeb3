using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Options;
using OtelStorage.Compaction;
using OtelStorage.Storage.Blocklist;
using OtelStorage.Storage.Blocks;
using OtelStorage.Storage.ObjectStore;

namespace OtelStorage.Benchmarks.Compaction;

/// <summary>
/// Samples a tenant's compaction backlog on a live store while load runs, to show whether compaction keeps up
/// (docs/performance-compaction.md). The backlog is what the compactor's planner counts: visible blocks under half
/// the target size (<see cref="CompactionPlanner"/>, default policy), summed over every tenant unless
/// <c>--tenant</c> names one.
/// Each sample also gives the visible blocks and spans.
/// Run: <c>dotnet OtelStorage.Benchmarks.dll backlog --s3 CONNECTIONSTRING [--tenant NAME] [--interval 10s] [--duration 300s] [--json FILE]</c>.
/// </summary>
public static class BacklogMonitor
{
    public sealed record Sample(double Seconds, int Visible, int Backlog, long VisibleSpans, int Compacted);

    public static async Task<int> RunAsync(string[] args)
    {
        string? Arg(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
        var options = new ObjectStoreOptions();
        options.ApplyConnectionString(Arg("--s3") ?? throw new ArgumentException("--s3 CONNECTIONSTRING is required"));
        var tenant = Arg("--tenant");
        var interval = Seconds(Arg("--interval") ?? "10s");
        var duration = Seconds(Arg("--duration") ?? "300s");
        var json = Arg("--json");

        using var s3 = new S3ObjectStore(Options.Create(options));
        var store = new BlockStore(s3, Options.Create(options));
        var policy = new CompactionPolicy();
        var small = (Spans: (long)(policy.TargetSpans * policy.SmallFraction), Bytes: (long)(policy.TargetBytes * policy.SmallFraction));
        var samples = new List<Sample>();
        var started = DateTimeOffset.UtcNow;
        Console.WriteLine("     t  visible  backlog  compacted   visible spans");
        for (var next = started; next - started <= duration; next += interval)
        {
            if (next > DateTimeOffset.UtcNow)
            {
                await Task.Delay(next - DateTimeOffset.UtcNow);
            }

            var visible = new List<BlockMeta>();
            foreach (var t in tenant is null ? await store.ListTenantsAsync(CancellationToken.None).ToListAsync() : [tenant])
            {
                visible.AddRange(BlockVisibility.Visible(await store.ListBlocksAsync(t, null, CancellationToken.None).ToListAsync()));
            }

            var sample = new Sample(
                (DateTimeOffset.UtcNow - started).TotalSeconds,
                visible.Count,
                visible.Count(m => m.SpanCount < small.Spans && m.SizeBytes < small.Bytes),
                visible.Sum(m => m.SpanCount),
                visible.Count(m => m.Replaces.Count > 0));
            samples.Add(sample);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{sample.Seconds,6:F0}  {sample.Visible,7}  {sample.Backlog,7}  {sample.Compacted,9}  {sample.VisibleSpans,14:N0}"));
        }

        if (json is not null)
        {
            await File.WriteAllTextAsync(json, JsonSerializer.Serialize(samples));
        }

        return 0;
    }

    private static TimeSpan Seconds(string value) =>
        TimeSpan.FromSeconds(double.Parse(value.TrimEnd('s'), CultureInfo.InvariantCulture));
}
