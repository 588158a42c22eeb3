using Health.Api.Options;
using Health.Api.Pipeline;
using Xunit;

namespace Health.Api.Tests;

/// <summary>The figures computed from made-up samples.</summary>
public sealed class PipelineFiguresTests
{
    private static readonly HealthOptions Options = new();
    private static readonly TimeSpan Step = TimeSpan.FromSeconds(5);

    [Fact]
    public void SpansAcceptedPerSecondIsTheCounterIncreaseOverTheLastMinute()
    {
        var samples = Samples.Series(30, Step, (i, at) => Samples.Healthy(at, spansAccepted: i * 500));

        var figures = PipelineFigures.Compute(samples, Options);

        Assert.Equal(100, figures.SpansAcceptedPerSecond!.Value, 3);
    }

    [Fact]
    public void ACounterResetByARestartUsesOnlyTheSamplesSince()
    {
        var samples = Samples.Series(10, Step, (i, at) => Samples.Healthy(at, spansAccepted: i < 6 ? 100_000 + (i * 500) : (i - 6) * 50));

        var figures = PipelineFigures.Compute(samples, Options);

        Assert.Equal(10, figures.SpansAcceptedPerSecond!.Value, 3);
    }

    [Fact]
    public void QueueTrendIsTheDepthChangePerMinute()
    {
        var samples = Samples.Series(13, Step, (i, at) => Samples.Healthy(at, new QueueStats(true, i * 10, 0, 1, i * 10)));

        var figures = PipelineFigures.Compute(samples, Options);

        Assert.Equal(120, figures.QueueDepth);
        Assert.Equal(120, figures.QueueTrendPerMinute!.Value, 3);
    }

    [Fact]
    public void TheOldestUnflushedBatchIsDatedByThePollThatSawItPublished()
    {
        // 10 messages published per poll; the consumer has taken the first 25 by the last poll.
        var samples = Samples.Series(10, Step, (i, at) => Samples.Healthy(at, new QueueStats(true, 0, Math.Max(0, (i * 10) - (i == 9 ? 25 : i * 10)), 1, i * 10)));

        var figures = PipelineFigures.Compute(samples, Options);

        // Message 26 was first counted at poll 3 (published 30), which is 6 polls before the last.
        Assert.Equal(30, figures.OldestUnflushedBatchAgeSeconds!.Value, 3);
    }

    [Fact]
    public void AnEmptyQueueHasNoUnflushedBatch()
    {
        var samples = Samples.Series(3, Step, (_, at) => Samples.Healthy(at));

        Assert.Equal(0, PipelineFigures.Compute(samples, Options).OldestUnflushedBatchAgeSeconds);
    }

    [Fact]
    public void FreshnessAndBlocksPerMinuteComeFromTheNewestBlocks()
    {
        var at = Samples.Start;
        var samples = new List<PipelineSample>
        {
            Samples.Healthy(at, tenants:
            [
                new TenantBlocks("a", 10, at.AddSeconds(-20), at.AddSeconds(-25), 3),
                new TenantBlocks("b", 2, at.AddMinutes(-10), at.AddMinutes(-11), 0),
            ]),
        };

        var figures = PipelineFigures.Compute(samples, Options);

        Assert.Equal(25, figures.FreshnessSeconds);
        Assert.Equal(3, figures.BlocksWrittenPerMinute);
        Assert.Equal(600, figures.Tenants.Single(t => t.Tenant == "b").LatestBlockAgeSeconds);
    }

    [Fact]
    public void ErrorRatesCountServerErrorsAndConfiguredErrorCounters()
    {
        var options = new HealthOptions();
        options.Services["ingest"].ErrorCounters.Add("otelstorage.ingest.spans.unavailable");
        var samples = Samples.Series(7, Step, (i, at) => Samples.Healthy(at).WithService("ingest", s => s with
        {
            Metrics = new(at, new Dictionary<string, double> { ["otelstorage.ingest.spans.unavailable"] = i * 5 }, i * 100, i * 10),
        }));

        var rate = PipelineFigures.Compute(samples, options).ErrorRates["ingest"];

        Assert.Equal(20, rate.RequestsPerSecond!.Value, 3);
        Assert.Equal(3, rate.ErrorsPerSecond!.Value, 3);
        Assert.Equal(0.1, rate.ServerErrorRatio!.Value, 3);
    }
}
