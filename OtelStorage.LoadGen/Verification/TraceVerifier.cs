using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Serialization;

namespace OtelStorage.LoadGen.Verification;

/// <summary>What verification found.</summary>
/// <param name="Traces">Traces checked.</param>
/// <param name="ExpectedSpans">Acknowledged spans checked.</param>
/// <param name="FoundSpans">Of those, spans found in storage.</param>
/// <param name="DuplicateSpans">Extra copies of a span in one answer, the most seen for each trace in any answer.</param>
/// <param name="AlteredSpans">Spans returned whose resource, scope or span differ from what was sent, the most for each trace in any answer.</param>
/// <param name="NeverSentSpans">Spans returned in a checked trace that the client never sent, the most for each trace in any answer.</param>
/// <param name="UnacknowledgedSpans">Spans returned intact that were sent and not acknowledged (by the time the check began), in each trace's last answer: allowed.</param>
/// <param name="TimeToComplete">How long until every trace was complete, or until the last pass.</param>
/// <param name="LateTraces">Traces incomplete at their first check and complete at a later one: not yet queryable when first asked.</param>
/// <param name="Lookups">Trace lookups made: each trace asked counts once per request it was in.</param>
/// <param name="FailedLookups">Trace lookups answered with an error or not at all (the store or the query service down).</param>
/// <param name="Missing">Up to <see cref="TraceVerifier.MaxMissingReported"/> acknowledged spans not read back, in trace order.</param>
/// <param name="MissingByTrace">Every incomplete trace with all its acknowledged spans not read back, in order.</param>
/// <param name="CompleteTraces">Traces whose every acknowledged span was read back.</param>
public sealed record VerificationResult(
    long Traces,
    long ExpectedSpans,
    long FoundSpans,
    long DuplicateSpans,
    long AlteredSpans,
    long NeverSentSpans,
    long UnacknowledgedSpans,
    TimeSpan TimeToComplete,
    long LateTraces,
    int Lookups,
    int FailedLookups,
    IReadOnlyList<MissingSpan> Missing,
    [property: JsonIgnore] IReadOnlyDictionary<string, ulong[]> MissingByTrace,
    [property: JsonIgnore] IReadOnlySet<string> CompleteTraces)
{
    public long MissingSpans => ExpectedSpans - FoundSpans;

    /// <summary>Every acknowledged span read back, and no span returned twice, altered or never sent.</summary>
    public bool Passed => MissingSpans == 0 && DuplicateSpans == 0 && AlteredSpans == 0 && NeverSentSpans == 0;
}

/// <summary>An acknowledged span that was not read back.</summary>
public sealed record MissingSpan(string TraceId, [property: JsonIgnore] ulong Id)
{
    /// <summary>The span ID as 16 lowercase hex digits, as in OTLP/JSON and Query.Api's answers.</summary>
    public string SpanId => Id.ToString("x16", CultureInfo.InvariantCulture);
}

/// <summary>How a <see cref="TraceVerifier"/> asks.</summary>
public sealed record VerificationOptions
{
    /// <summary>Requests in flight.</summary>
    public int Concurrency { get; init; } = 8;

    /// <summary>
    /// Traces asked per request. Traces are asked in trace-ID order, so the traces of one request lie close together
    /// in the blocks (sorted by trace ID), and one row-group read answers many of them. The default is Query.Api's
    /// default Query:MaxLimit, the most one lookup may ask.
    /// </summary>
    public int BatchSize { get; init; } = 1000;

    /// <summary>The pause between two passes over the traces still incomplete.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// When the first pass ends later than this before the timeout, the deadline moves to this long after it: the
    /// traces still incomplete get this much more time, not only one more pass. Zero keeps the timeout.
    /// </summary>
    public TimeSpan GraceAfterFirstPass { get; init; } = TimeSpan.Zero;
}

/// <summary>
/// Reads traces back and judges every span in them against the <see cref="SpanLedger"/>:
/// <list type="bullet">
/// <item>every acknowledged span must be read back exactly once, intact (its resource, scope and span equal to what
/// was sent, by <see cref="SpanContent"/>);</item>
/// <item>a span that was never acknowledged (its request failed, timed out or was still in flight) may be present or
/// absent; if present it must be intact and appear once;</item>
/// <item>a span the client never sent must not appear.</item>
/// </list>
/// A duplicate, altered or never-sent span in any answer fails the verification, even if a later answer is clean.
/// Traces still incomplete are asked again, because blocks become visible only after the batcher's flush; a trace
/// is reported missing only if it was still incomplete when checked after the timeout: a pass over many traces can
/// outlast the timeout, and a trace checked early in it, before its block was written, must be asked again rather
/// than counted lost. A failed lookup counts as not yet answered.
/// </summary>
public sealed class TraceVerifier(ITraceSource source, SpanLedger ledger, VerificationOptions? options = null)
{
    /// <summary>Missing spans listed by ID in the result; the count is always exact.</summary>
    public const int MaxMissingReported = 1000;

    private readonly VerificationOptions _options = options ?? new VerificationOptions();

    /// <param name="acknowledged">The acknowledged spans to read back, by hex trace ID (<see cref="SpanLedger.Acknowledged"/>, or part of it).</param>
    /// <param name="timeout">How long spans may take to become queryable.</param>
    /// <param name="progress">Traces complete so far, after each pass.</param>
    /// <param name="cancellationToken">Cancels the verification.</param>
    public async Task<VerificationResult> VerifyAsync(
        IReadOnlyDictionary<string, SpanFingerprint[]> acknowledged,
        TimeSpan timeout,
        IProgress<(int Complete, int Total)>? progress,
        CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        var outcomes = new ConcurrentDictionary<string, TraceOutcome>(StringComparer.Ordinal);
        var pending = acknowledged.Keys.ToList();
        var deadline = timeout;
        var late = 0;
        var lookups = 0;
        var failed = 0;
        for (var pass = 0; ; pass++)
        {
            var passStarted = stopwatch.Elapsed;
            await Parallel.ForEachAsync(
                pending.Order(StringComparer.Ordinal).Chunk(_options.BatchSize),
                new ParallelOptions { MaxDegreeOfParallelism = _options.Concurrency, CancellationToken = cancellationToken },
                async (batch, ct) =>
                {
                    Interlocked.Add(ref lookups, batch.Length);
                    if (await source.GetSpansAsync(batch, ct) is not { } stored)
                    {
                        Interlocked.Add(ref failed, batch.Length);
                        return;
                    }

                    foreach (var traceId in batch)
                    {
                        var outcome = Compare(traceId, acknowledged[traceId], stored.GetValueOrDefault(traceId, []));
                        outcomes.AddOrUpdate(traceId, outcome, (_, earlier) => outcome.KeepingFailuresOf(earlier));
                    }
                });
            if (pass == 0 && _options.GraceAfterFirstPass > TimeSpan.Zero && stopwatch.Elapsed + _options.GraceAfterFirstPass > deadline)
            {
                deadline = stopwatch.Elapsed + _options.GraceAfterFirstPass;
            }

            var incomplete = pending.Where(t => !outcomes.TryGetValue(t, out var o) || !o.Complete).ToList();
            if (pass > 0)
            {
                late += pending.Count - incomplete.Count;
            }

            pending = incomplete;
            progress?.Report((acknowledged.Count - pending.Count, acknowledged.Count));
            if (pending.Count == 0 || passStarted >= deadline)
            {
                break;
            }

            if (stopwatch.Elapsed < deadline)
            {
                await Task.Delay(_options.PollInterval, cancellationToken);
            }
        }

        ulong[] MissingOf(string traceId) =>
            [.. (outcomes.TryGetValue(traceId, out var o) ? o.Missing : acknowledged[traceId].Select(s => s.SpanId)).Order()];
        var missing = pending.ToDictionary(t => t, MissingOf, StringComparer.Ordinal);
        return new VerificationResult(
            acknowledged.Count,
            acknowledged.Values.Sum(s => (long)s.Length),
            acknowledged.Values.Sum(s => (long)s.Length) - missing.Values.Sum(s => (long)s.Length),
            outcomes.Values.Sum(o => o.Duplicates),
            outcomes.Values.Sum(o => o.Altered),
            outcomes.Values.Sum(o => o.NeverSent),
            outcomes.Values.Sum(o => o.Unacknowledged),
            stopwatch.Elapsed,
            late,
            lookups,
            failed,
            [.. missing.OrderBy(t => t.Key, StringComparer.Ordinal).SelectMany(t => t.Value.Select(s => new MissingSpan(t.Key, s))).Take(MaxMissingReported)],
            missing,
            acknowledged.Keys.Where(t => !missing.ContainsKey(t)).ToHashSet(StringComparer.Ordinal));
    }

    /// <summary>Judges one answer for a trace: each span returned against what was acknowledged, or else sent.</summary>
    private TraceOutcome Compare(string traceId, SpanFingerprint[] acknowledged, IReadOnlyList<SpanFingerprint> stored)
    {
        var want = acknowledged.ToDictionary(s => s.SpanId, s => s.Content);
        var seen = new HashSet<ulong>();
        long duplicates = 0, altered = 0, neverSent = 0, unacknowledged = 0;
        foreach (var span in stored)
        {
            if (!seen.Add(span.SpanId))
            {
                duplicates++;
            }
            else if (want.TryGetValue(span.SpanId, out var content) || ledger.TryGetContent(traceId, span.SpanId, out content))
            {
                if (!want.ContainsKey(span.SpanId))
                {
                    unacknowledged++;
                }

                if (span.Content != content)
                {
                    altered++;
                }
            }
            else
            {
                neverSent++;
            }
        }

        return new TraceOutcome([.. want.Keys.Where(s => !seen.Contains(s))], duplicates, altered, neverSent, unacknowledged);
    }

    /// <summary>One trace's latest answer, with the failures of every earlier answer kept.</summary>
    private sealed record TraceOutcome(ulong[] Missing, long Duplicates, long Altered, long NeverSent, long Unacknowledged)
    {
        public bool Complete => Missing.Length == 0;

        public TraceOutcome KeepingFailuresOf(TraceOutcome earlier) => this with
        {
            Duplicates = Math.Max(Duplicates, earlier.Duplicates),
            Altered = Math.Max(Altered, earlier.Altered),
            NeverSent = Math.Max(NeverSent, earlier.NeverSent),
        };
    }
}
