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
/// <param name="LateTraces">Traces incomplete at their first check and complete at a later one: not yet queryable when first asked.</param>
/// <param name="Missing">Up to <see cref="TraceVerifier.MaxMissingReported"/> acknowledged spans not read back, as (trace ID, span ID) in hex.</param>
public sealed record VerificationResult(long Traces, long ExpectedSpans, long FoundSpans, long DuplicateSpans, long UnexpectedSpans, TimeSpan TimeToComplete, long LateTraces, IReadOnlyList<MissingSpan> Missing)
{
    public long MissingSpans => ExpectedSpans - FoundSpans;

    public bool Passed => MissingSpans == 0 && DuplicateSpans == 0 && UnexpectedSpans == 0;
}

/// <summary>An acknowledged span that was not read back.</summary>
public sealed record MissingSpan(string TraceId, string SpanId);

/// <summary>
/// Checks that every acknowledged span can be read back, exactly once. Traces still incomplete are asked again
/// until all are complete or the timeout passes, because blocks become visible only after the batcher's flush.
/// A trace is reported missing only if it was still incomplete when checked after the timeout: a pass over many
/// traces can outlast the timeout, and a trace checked early in it, before its block was written, must be asked
/// again rather than counted lost.
/// </summary>
public sealed class TraceVerifier(ITraceSource source, int concurrency = 8)
{
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(500);

    /// <summary>Missing spans listed by ID in the result; the count is always exact.</summary>
    public const int MaxMissingReported = 1000;

    public async Task<VerificationResult> VerifyAsync(
        IReadOnlyDictionary<string, IReadOnlyCollection<ulong>> expected,
        TimeSpan timeout,
        IProgress<(int Complete, int Total)>? progress,
        CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        var outcomes = new ConcurrentDictionary<string, TraceOutcome>(StringComparer.Ordinal);
        var pending = expected.Keys.ToList();
        var late = 0;
        for (var pass = 0; ; pass++)
        {
            var passStarted = stopwatch.Elapsed;
            await Parallel.ForEachAsync(
                pending,
                new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = cancellationToken },
                async (traceId, ct) => outcomes[traceId] = Compare(expected[traceId], await source.GetSpanIdsAsync(traceId, ct)));
            var incomplete = pending.Where(t => !outcomes[t].Complete).ToList();
            if (pass > 0)
            {
                late += pending.Count - incomplete.Count;
            }

            pending = incomplete;
            progress?.Report((expected.Count - pending.Count, expected.Count));
            if (pending.Count == 0 || passStarted >= timeout)
            {
                break;
            }

            if (stopwatch.Elapsed < timeout)
            {
                await Task.Delay(PollInterval, cancellationToken);
            }
        }

        return new VerificationResult(
            expected.Count,
            expected.Values.Sum(s => (long)s.Count),
            outcomes.Values.Sum(o => o.Found),
            outcomes.Values.Sum(o => o.Duplicates),
            outcomes.Values.Sum(o => o.Unexpected),
            stopwatch.Elapsed,
            late,
            [.. outcomes
                .Where(o => !o.Value.Complete)
                .OrderBy(o => o.Key, StringComparer.Ordinal)
                .SelectMany(o => o.Value.Missing.Order().Select(span => new MissingSpan(o.Key, span.ToString("x16", System.Globalization.CultureInfo.InvariantCulture))))
                .Take(MaxMissingReported)]);
    }

    /// <summary>Compares one trace's acknowledged span IDs with what storage returned.</summary>
    internal static TraceOutcome Compare(IReadOnlyCollection<ulong> expected, IReadOnlyList<ulong>? stored)
    {
        if (stored is null)
        {
            return new TraceOutcome(0, 0, 0, [.. expected]);
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

        var missing = want.Where(s => !seen.Contains(s)).ToArray();
        return new TraceOutcome(want.Count - missing.Length, duplicates, unexpected, missing);
    }

    internal readonly record struct TraceOutcome(long Found, long Duplicates, long Unexpected, ulong[] Missing)
    {
        public bool Complete => Missing.Length == 0;
    }
}
