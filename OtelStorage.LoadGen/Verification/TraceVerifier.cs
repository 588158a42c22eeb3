using System.Collections.Concurrent;
using System.Diagnostics;

namespace OtelStorage.LoadGen.Verification;

/// <summary>What verification found.</summary>
/// <param name="Traces">Traces checked.</param>
/// <param name="ExpectedSpans">Acknowledged spans checked.</param>
/// <param name="FoundSpans">Of those, spans found in storage.</param>
/// <param name="DuplicateSpans">Spans returned more than once for the same trace.</param>
/// <param name="UnexpectedSpans">Spans returned that were never acknowledged in that trace.</param>
/// <param name="TimeToComplete">How long until every trace was complete, or the timeout.</param>
public sealed record VerificationResult(long Traces, long ExpectedSpans, long FoundSpans, long DuplicateSpans, long UnexpectedSpans, TimeSpan TimeToComplete)
{
    public long MissingSpans => ExpectedSpans - FoundSpans;

    public bool Passed => MissingSpans == 0 && DuplicateSpans == 0 && UnexpectedSpans == 0;
}

/// <summary>
/// Checks that every acknowledged span can be read back, exactly once. Traces still incomplete are asked again
/// until all are complete or the timeout passes, because blocks become visible only after the batcher's flush.
/// </summary>
public sealed class TraceVerifier(ITraceSource source, int concurrency = 8)
{
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(500);

    public async Task<VerificationResult> VerifyAsync(
        IReadOnlyDictionary<string, IReadOnlyCollection<ulong>> expected,
        TimeSpan timeout,
        IProgress<(int Complete, int Total)>? progress,
        CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        var outcomes = new ConcurrentDictionary<string, TraceOutcome>(StringComparer.Ordinal);
        var pending = expected.Keys.ToList();
        while (true)
        {
            await Parallel.ForEachAsync(
                pending,
                new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = cancellationToken },
                async (traceId, ct) => outcomes[traceId] = Compare(expected[traceId], await source.GetSpanIdsAsync(traceId, ct)));
            pending = [.. pending.Where(t => !outcomes[t].Complete)];
            progress?.Report((expected.Count - pending.Count, expected.Count));
            if (pending.Count == 0 || stopwatch.Elapsed >= timeout)
            {
                break;
            }

            await Task.Delay(PollInterval, cancellationToken);
        }

        return new VerificationResult(
            expected.Count,
            expected.Values.Sum(s => (long)s.Count),
            outcomes.Values.Sum(o => o.Found),
            outcomes.Values.Sum(o => o.Duplicates),
            outcomes.Values.Sum(o => o.Unexpected),
            stopwatch.Elapsed);
    }

    /// <summary>Compares one trace's acknowledged span IDs with what storage returned.</summary>
    internal static TraceOutcome Compare(IReadOnlyCollection<ulong> expected, IReadOnlyList<ulong>? stored)
    {
        if (stored is null)
        {
            return new TraceOutcome(0, 0, 0, Complete: false);
        }

        var want = expected.ToHashSet();
        var seen = new HashSet<ulong>();
        long duplicates = 0, unexpected = 0;
        foreach (var spanId in stored)
        {
            if (!seen.Add(spanId))
            {
                duplicates++;
            }
            else if (!want.Contains(spanId))
            {
                unexpected++;
            }
        }

        var found = want.Count(seen.Contains);
        return new TraceOutcome(found, duplicates, unexpected, Complete: found == want.Count);
    }

    internal readonly record struct TraceOutcome(long Found, long Duplicates, long Unexpected, bool Complete);
}
