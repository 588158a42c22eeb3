using OtelStorage.LoadGen.Verification;
using Xunit;

namespace OtelStorage.LoadGen.Tests;

public sealed class TraceVerifierTests
{
    /// <summary>A trace store that answers from a table, and can make a trace appear only after some reads.</summary>
    private sealed class TableTraceSource(Dictionary<string, ulong[]> traces, int readsBeforeVisible = 0) : ITraceSource
    {
        private int _reads;

        public Task<IReadOnlyList<ulong>?> GetSpanIdsAsync(string traceIdHex, CancellationToken cancellationToken)
        {
            var visible = Interlocked.Increment(ref _reads) > readsBeforeVisible;
            return Task.FromResult<IReadOnlyList<ulong>?>(visible && traces.TryGetValue(traceIdHex, out var ids) ? ids : null);
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
}
