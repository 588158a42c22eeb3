using Health.Api.Pipeline;
using Microsoft.Extensions.Hosting;

namespace Health.Api.Tests;

/// <summary>Made-up poll samples for the rule and figure tests: every component healthy unless a test says otherwise.</summary>
internal static class Samples
{
    public static readonly DateTimeOffset Start = new(2026, 11, 25, 10, 0, 0, TimeSpan.Zero);

    public static CheckResult Ok(DateTimeOffset at) => new(true, at, 2, null);

    public static CheckResult Failed(DateTimeOffset at, string error) => new(false, at, 2, error);

    public static PipelineSample Healthy(DateTimeOffset at, QueueStats? queue = null, double spansAccepted = 0, IReadOnlyList<TenantBlocks>? tenants = null) => new(
        at,
        new[] { "ingest", "batcher", "query" }.Select(name => new ServiceObservation(
            name,
            Ok(at),
            Ok(at),
            new MetricsSnapshotDocument(at, new Dictionary<string, double> { ["otelstorage.ingest.spans.accepted"] = name == "ingest" ? spansAccepted : 0 }, 0, 0))).ToList(),
        new BrokerObservation(Ok(at), queue ?? new QueueStats(true, 0, 0, 1, 0), new QueueStats(true, 0, 0, 0, 0)),
        new StoreObservation(Ok(at), tenants ?? []));

    /// <summary>A sample every <paramref name="step"/> from <see cref="Start"/>, shaped by <paramref name="shape"/>.</summary>
    public static List<PipelineSample> Series(int count, TimeSpan step, Func<int, DateTimeOffset, PipelineSample> shape) =>
        Enumerable.Range(0, count).Select(i => shape(i, Start + (step * i))).ToList();

    public static PipelineSample WithService(this PipelineSample sample, string name, Func<ServiceObservation, ServiceObservation> change) =>
        sample with { Services = sample.Services.Select(s => s.Name == name ? change(s) : s).ToList() };
}
