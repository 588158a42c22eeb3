using OtelStorage.LoadGen.Verification;
using Xunit;

namespace OtelStorage.LoadGen.Tests;

public sealed class TraceVerifierTests
{
    /// <summary>A trace store that answers from a table, and can make a trace appear only after some reads.</summary>
    /// <param name="traces">What the store holds.</param>
    /// <param name="readsBeforeVisible">Reads answered "unknown trace" first, as before a block is written.</param>
    /// <param name="readTime">How long each read takes, to make one pass over the traces outlast the timeout.</param>
    private sealed class TableTraceSource(Dictionary<string, ulong[]> traces, int readsBeforeVisible = 0, TimeSpan readTime = default) : ITraceSource
    {
        private int _reads;

        public async Task<IReadOnlyList<ulong>?> GetSpanIdsAsync(string traceIdHex, CancellationToken cancellationToken)
        {
            var visible = Interlocked.Increment(ref _reads) > readsBeforeVisible;
            if (readTime > TimeSpan.Zero)
            {
                await Task.Delay(readTime, cancellationToken);
            }

            return visible && traces.TryGetValue(traceIdHex, out var ids) ? ids : null;
        }
    }

    private static readonly Dictionary<string, IReadOnlyCollection<ulong>> Expected = new()
    {
        ["0af7651916cd43dd8448eb211c80319c"] = [1, 2, 3],
        ["4bf92f3577b34da6a3ce929d0e0e4736"] = [10, 11],
    };

    [Fact]
    public async Task PassesWhenEverySpanIsStoredOnce()
    {
        var source = new TableTraceSource(new()
        {
            ["0af7651916cd43dd8448eb211c80319c"] = [3, 1, 2],
            ["4bf92f3577b34da6a3ce929d0e0e4736"] = [11, 10],
        });

        var result = await new TraceVerifier(source).VerifyAsync(Expected, TimeSpan.FromSeconds(5), null, TestContext.Current.CancellationToken);

        Assert.True(result.Passed);
        Assert.Equal(5, result.FoundSpans);
        Assert.Equal(0, result.MissingSpans);
    }

    [Fact]
    public async Task CountsMissingSpansAndUnknownTracesAfterTheTimeout()
    {
        var source = new TableTraceSource(new() { ["0af7651916cd43dd8448eb211c80319c"] = [1, 3] });

        var result = await new TraceVerifier(source).VerifyAsync(Expected, TimeSpan.FromMilliseconds(100), null, TestContext.Current.CancellationToken);

        Assert.False(result.Passed);
        Assert.Equal(5, result.ExpectedSpans);
        Assert.Equal(2, result.FoundSpans);
        Assert.Equal(3, result.MissingSpans);
        // Each missing span is named, so a failed run says which lookups to replay.
        Assert.Equal(3, result.Missing.Count);
        Assert.Contains(new MissingSpan("0af7651916cd43dd8448eb211c80319c", "0000000000000002"), result.Missing);
        Assert.Equal(2, result.Missing.Count(m => m.TraceId != "0af7651916cd43dd8448eb211c80319c"));
    }

    [Fact]
    public async Task CountsSpansReturnedTwiceAndSpansNeverAcknowledged()
    {
        var source = new TableTraceSource(new()
        {
            ["0af7651916cd43dd8448eb211c80319c"] = [1, 2, 3, 2],
            ["4bf92f3577b34da6a3ce929d0e0e4736"] = [10, 11, 99],
        });

        var result = await new TraceVerifier(source).VerifyAsync(Expected, TimeSpan.FromSeconds(5), null, TestContext.Current.CancellationToken);

        Assert.False(result.Passed);
        Assert.Equal(1, result.DuplicateSpans);
        Assert.Equal(1, result.UnexpectedSpans);
        Assert.Equal(0, result.MissingSpans);
    }

    [Fact]
    public async Task WaitsForTracesThatBecomeVisibleLater()
    {
        var source = new TableTraceSource(
            new()
            {
                ["0af7651916cd43dd8448eb211c80319c"] = [1, 2, 3],
                ["4bf92f3577b34da6a3ce929d0e0e4736"] = [10, 11],
            },
            readsBeforeVisible: 4);

        var result = await new TraceVerifier(source).VerifyAsync(Expected, TimeSpan.FromSeconds(30), null, TestContext.Current.CancellationToken);

        Assert.True(result.Passed);
        Assert.True(result.TimeToComplete >= TraceVerifier.PollInterval);
    }

    [Fact]
    public async Task ATraceNotYetVisibleAtItsFirstCheckIsAskedAgainWhenThePassOutlastsTheTimeout()
    {
        // One read at a time, each slower than the whole timeout: the first pass ends after the deadline.
        var source = new TableTraceSource(
            new()
            {
                ["0af7651916cd43dd8448eb211c80319c"] = [1, 2, 3],
                ["4bf92f3577b34da6a3ce929d0e0e4736"] = [10, 11],
            },
            readsBeforeVisible: 1,
            readTime: TimeSpan.FromMilliseconds(200));

        var result = await new TraceVerifier(source, concurrency: 1).VerifyAsync(Expected, TimeSpan.FromMilliseconds(50), null, TestContext.Current.CancellationToken);

        Assert.True(result.Passed, $"missing {result.MissingSpans}");
        Assert.Equal(1, result.LateTraces);
    }
}
