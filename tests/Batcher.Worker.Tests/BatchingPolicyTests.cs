using Batcher.Worker.Batching;
using Xunit;

namespace Batcher.Worker.Tests;

public sealed class BatchingPolicyTests
{
    private const int Kib = 1024;

    private readonly ManualClock _clock = new();

    // Limits far from each other, so each test reaches only the one it is about.
    private static BatcherOptions Options() => new()
    {
        BatchSize = 1_000,
        BatchMaxBytes = 100 * Kib,
        BatchTimeoutMs = 3_000,
        Prefetch = 2_000,
        PrefetchBytes = 64L * 1024 * Kib,
    };

    private BatchingPolicy Subscribed(BatcherOptions options, int window = 1_000)
    {
        var policy = new BatchingPolicy(options, _clock);
        policy.Subscribed(window);
        return policy;
    }

    [Fact]
    public void ABatchIsCutForSizeWhenItsSpansReachTheBatchSize()
    {
        var policy = Subscribed(Options());

        Assert.Null(policy.Add("acme", spans: 600, bytes: Kib));
        Assert.Null(policy.Add("acme", spans: 399, bytes: Kib));
        var cut = policy.Add("acme", spans: 1, bytes: Kib);

        Assert.Equal(new BatchCut("acme", CutReason.Size), cut);
    }

    [Fact]
    public void ABatchIsCutForBytesWhenItsMessagesReachTheBatchMaxBytes()
    {
        var policy = Subscribed(Options());

        Assert.Null(policy.Add("acme", spans: 10, bytes: 60 * Kib));
        Assert.Null(policy.Add("acme", spans: 10, bytes: 40 * Kib - 1));
        var cut = policy.Add("acme", spans: 10, bytes: 1);

        Assert.Equal(new BatchCut("acme", CutReason.Bytes), cut);
    }

    [Fact]
    public void SizeIsTheReasonWhenAMessageReachesBothLimits()
    {
        var policy = Subscribed(Options());

        var cut = policy.Add("acme", spans: 1_000, bytes: 100 * Kib);

        Assert.Equal(new BatchCut("acme", CutReason.Size), cut);
    }

    [Fact]
    public void ABatchIsCutForTimeOnceItHasBeenOpenForTheBatchTimeout()
    {
        var policy = Subscribed(Options());
        Assert.Null(policy.UntilNextDeadline());

        policy.Add("acme", spans: 1, bytes: 1);
        _clock.Advance(TimeSpan.FromSeconds(1));
        policy.Add("globex", spans: 1, bytes: 1);
        _clock.Advance(TimeSpan.FromMilliseconds(1_999));

        Assert.Empty(policy.Expired());
        Assert.Equal(TimeSpan.FromMilliseconds(1), policy.UntilNextDeadline());

        _clock.Advance(TimeSpan.FromMilliseconds(1));

        Assert.Equal([new BatchCut("acme", CutReason.Time)], policy.Expired());
        Assert.Equal(TimeSpan.Zero, policy.UntilNextDeadline());
    }

    [Fact]
    public void TheNextDeadlineFollowsTheOldestBatchStillOpen()
    {
        var policy = Subscribed(Options());
        policy.Add("acme", spans: 1, bytes: 1);
        _clock.Advance(TimeSpan.FromSeconds(1));
        policy.Add("globex", spans: 1, bytes: 1);
        _clock.Advance(TimeSpan.FromSeconds(2));

        policy.Remove("acme");

        Assert.Equal(TimeSpan.FromSeconds(1), policy.UntilNextDeadline());
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal([new BatchCut("globex", CutReason.Time)], policy.Expired());
    }

    [Fact]
    public void EveryOpenBatchIsCutAtShutdown()
    {
        var policy = Subscribed(Options());
        policy.Add("acme", spans: 1, bytes: 1);
        policy.Add("globex", spans: 1, bytes: 1);
        policy.Add("initech", spans: 1, bytes: 1);
        policy.Remove("globex");

        var cuts = policy.AtShutdown();

        Assert.Equal(
            [new BatchCut("acme", CutReason.Shutdown), new BatchCut("initech", CutReason.Shutdown)],
            cuts.OrderBy(c => c.Tenant, StringComparer.Ordinal));
    }

    [Fact]
    public void NothingIsCutAtShutdownWhenNoBatchIsOpen()
    {
        var policy = Subscribed(Options());

        Assert.Empty(policy.AtShutdown());
    }

    [Fact]
    public void ABatchIsCutForTheWindowWhenItsMessagesReachHalfThePrefetchWindow()
    {
        var policy = Subscribed(Options(), window: 8);

        for (var i = 0; i < 3; i++)
        {
            Assert.Null(policy.Add("acme", spans: 1, bytes: 1));
        }

        Assert.Equal(4, policy.MaxBatchMessages);
        Assert.Equal(new BatchCut("acme", CutReason.Window), policy.Add("acme", spans: 1, bytes: 1));
    }

    [Fact]
    public void TheBatchWithTheMostMessagesIsCutWhenAllTenantsTogetherHoldHalfTheWindow()
    {
        var policy = Subscribed(Options(), window: 10);
        Assert.Null(policy.Add("acme", spans: 1, bytes: 1));
        Assert.Null(policy.Add("globex", spans: 1, bytes: 1));
        Assert.Null(policy.Add("globex", spans: 1, bytes: 1));
        Assert.Null(policy.Add("globex", spans: 1, bytes: 1));

        var cut = policy.Add("initech", spans: 1, bytes: 1);

        Assert.Equal(5, policy.OpenMessages);
        Assert.Equal(new BatchCut("globex", CutReason.Window), cut);
    }

    [Fact]
    public void ACutBatchLeavesTheOpenCountsAndTheGauges()
    {
        var policy = Subscribed(Options());
        policy.Add("acme", spans: 30, bytes: 1);
        _clock.Advance(TimeSpan.FromSeconds(2));
        policy.Add("globex", spans: 12, bytes: 1);
        policy.Add("globex", spans: 8, bytes: 1);
        Assert.Equal((2.0, 50L), policy.Observe());

        policy.Remove("acme");

        Assert.Equal(2, policy.OpenMessages);
        Assert.Equal((0.0, 20L), policy.Observe());
        policy.Remove("globex");
        Assert.Equal(0, policy.OpenMessages);
        Assert.Equal((0.0, 0L), policy.Observe());
        Assert.Null(policy.UntilNextDeadline());
    }

    [Fact]
    public void ATenantsNextMessageAfterACutOpensAFreshBatch()
    {
        var policy = Subscribed(Options());
        Assert.Equal(CutReason.Size, policy.Add("acme", spans: 1_000, bytes: 1)?.Reason);
        policy.Remove("acme");

        Assert.Null(policy.Add("acme", spans: 999, bytes: 1));
    }

    [Fact]
    public void TheFirstWindowAssumesIngestsLargestMessages()
    {
        var options = Options();
        options.PrefetchBytes = 8L * 1024 * Kib;
        var policy = new BatchingPolicy(options, _clock);

        Assert.Equal(0, policy.Window);
        Assert.Equal(32, policy.InitialWindow);
    }

    [Fact]
    public void TheWindowFollowsTheAverageMessageSizeEveryWindowCheckMessages()
    {
        var options = Options();
        options.PrefetchBytes = 8L * 1024 * Kib;
        var policy = Subscribed(options, window: 32);

        // Messages of 16 KiB: the average falls towards them, and the window is checked every 64 messages.
        for (var i = 0; i < BatchingPolicy.WindowCheckMessages - 1; i++)
        {
            Assert.Null(policy.FollowMessageSize(16 * Kib));
        }

        var window = policy.FollowMessageSize(16 * Kib);

        Assert.Equal(options.PrefetchFor(policy.AverageMessageBytes), window);
        Assert.True(window > 40, $"a window of {window} for an average of {policy.AverageMessageBytes:F0} bytes");
    }

    [Fact]
    public void TheWindowStaysWhenTheAverageMovesItByAQuarterOrLess()
    {
        var options = Options();
        options.PrefetchBytes = 8L * 1024 * Kib;
        var policy = Subscribed(options, window: 32);

        for (var i = 0; i < 10 * BatchingPolicy.WindowCheckMessages; i++)
        {
            // 230 KiB against the assumed 256 KiB: a window of 35, within a quarter of 32.
            Assert.Null(policy.FollowMessageSize(230 * Kib));
        }
    }

    [Fact]
    public void TheWindowIsCappedByPrefetchForSmallMessages()
    {
        var options = Options();
        options.Prefetch = 300;
        var policy = Subscribed(options, window: 200);

        int? window = null;
        for (var i = 0; i < BatchingPolicy.WindowCheckMessages; i++)
        {
            window = policy.FollowMessageSize(100);
        }

        Assert.Equal(300, window);
    }
}
