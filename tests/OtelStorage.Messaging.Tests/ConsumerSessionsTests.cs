using Microsoft.Extensions.Logging.Abstractions;
using OtelStorage.Messaging.Consuming;
using Xunit;

namespace OtelStorage.Messaging.Tests;

public sealed class ConsumerSessionsTests
{
    private static readonly RetryBackoff Backoff = new(TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(30), Jitter: false);

    [Fact]
    public void WithoutJitterTheDelayDoublesFromTheInitialDelayUpToTheMaximum()
    {
        var delays = Enumerable.Range(0, 8).Select(Backoff.Delay).Select(d => d.TotalMilliseconds);

        Assert.Equal([500, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000], delays);
        Assert.Equal(TimeSpan.FromSeconds(30), Backoff.Delay(int.MaxValue));
    }

    [Fact]
    public void WithJitterEachDelayIsBetweenHalfAndAllOfItsCeilingAndNeverBelowTheInitialDelay()
    {
        var backoff = new RetryBackoff(TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(30));

        for (var attempt = 0; attempt < 12; attempt++)
        {
            var ceiling = Math.Min(30_000, 200 * Math.Pow(2, attempt));
            for (var i = 0; i < 200; i++)
            {
                Assert.InRange(backoff.Delay(attempt).TotalMilliseconds, Math.Max(200, ceiling / 2), ceiling);
            }
        }
    }

    [Fact]
    public async Task AFailedSessionIsFollowedByANewOneAfterTheBackoffUntilTheHostStops()
    {
        var time = new RecordingTime();
        using var stopping = new CancellationTokenSource();
        var sessions = 0;

        await ConsumerSessions.RunAsync(
            async ct =>
            {
                if (++sessions == 4)
                {
                    await stopping.CancelAsync();
                    ct.ThrowIfCancellationRequested();
                }

                throw new IOException("broker channel closed");
            },
            Backoff,
            "q",
            time,
            NullLogger.Instance,
            stopping.Token).WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        Assert.Equal(4, sessions);
        Assert.Equal([TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2)], time.Waits);
    }

    [Fact]
    public async Task ASessionThatEndsWithoutFailingStartsTheBackoffAgain()
    {
        var time = new RecordingTime();
        using var stopping = new CancellationTokenSource();
        var sessions = 0;

        await ConsumerSessions.RunAsync(
            async ct =>
            {
                switch (++sessions)
                {
                    case 3:
                        return;
                    case 5:
                        await stopping.CancelAsync();
                        ct.ThrowIfCancellationRequested();
                        return;
                    default:
                        throw new IOException("connection refused");
                }
            },
            Backoff,
            "q",
            time,
            NullLogger.Instance,
            stopping.Token).WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        Assert.Equal([TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(500)], time.Waits);
    }

    [Fact]
    public async Task StoppingDuringTheBackoffReturnsAtOnce()
    {
        using var stopping = new CancellationTokenSource();
        var failed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var running = ConsumerSessions.RunAsync(
            _ =>
            {
                failed.TrySetResult();
                throw new IOException("connection refused");
            },
            new RetryBackoff(TimeSpan.FromHours(1), TimeSpan.FromHours(1)),
            "q",
            TimeProvider.System,
            NullLogger.Instance,
            stopping.Token);
        await failed.Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        await stopping.CancelAsync();

        await running.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
    }

    /// <summary>Records every delay asked of it and lets it pass at once.</summary>
    private sealed class RecordingTime : TimeProvider
    {
        public List<TimeSpan> Waits { get; } = [];

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            lock (Waits)
            {
                Waits.Add(dueTime);
            }

            return base.CreateTimer(callback, state, TimeSpan.Zero, period);
        }
    }
}
