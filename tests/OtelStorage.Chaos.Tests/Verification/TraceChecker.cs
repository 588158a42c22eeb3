using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using OpenTelemetry.Proto.Trace.V1;

namespace OtelStorage.Chaos.Tests.Verification;

/// <summary>What one check found.</summary>
/// <param name="Traces">Traces checked.</param>
/// <param name="ExpectedSpans">Acknowledged spans checked.</param>
/// <param name="MissingSpans">Acknowledged spans not returned by the deadline.</param>
/// <param name="DuplicateSpans">Extra copies of a (traceId, spanId) in one answer, over every answer seen.</param>
/// <param name="UnacknowledgedSpans">
/// Spans returned that were never acknowledged: a request that failed after the broker confirmed it, or was abandoned.
/// At-least-once storage allows them; they are reported, not failures.
/// </param>
/// <param name="Elapsed">Until every trace was complete, or the deadline.</param>
/// <param name="Lookups">Trace lookups made.</param>
/// <param name="FailedLookups">Lookups answered with an error or not at all (Query.Api down, store down).</param>
/// <param name="MissingExamples">A few of the traces still incomplete, with their missing count and span IDs.</param>
/// <param name="CompleteTraces">Traces whose every acknowledged span was returned.</param>
/// <param name="MissingIds">Up to <see cref="TraceChecker.MaxMissingIds"/> acknowledged (trace ID, span ID) not returned, in trace order.</param>
public sealed record CheckResult(
    int Traces,
    long ExpectedSpans,
    long MissingSpans,
    long DuplicateSpans,
    long UnacknowledgedSpans,
    TimeSpan Elapsed,
    int Lookups,
    int FailedLookups,
    IReadOnlyList<string> MissingExamples,
    IReadOnlySet<string> CompleteTraces,
    IReadOnlyList<(string TraceId, ulong SpanId)> MissingIds)
{
    public bool Complete => MissingSpans == 0;
}

/// <summary>
/// Reads traces back from Query.Api (<c>GET /traces/{id}</c>, OTLP protobuf) and compares them with the acknowledged
/// spans, with a bounded number of lookups in flight. Incomplete traces are asked again until all are complete or
/// the deadline passes: blocks become visible only after a batch is written and the catalog polls.
/// </summary>
public sealed class TraceChecker : IDisposable
{
    /// <summary>Missing spans listed by ID in a result; the count is always exact.</summary>
    public const int MaxMissingIds = 200;

    private static readonly TimeSpan RoundInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>Lookup time allowed per trace on top of the wait for data: one full round must fit in the deadline however many traces there are.</summary>
    private static readonly TimeSpan LookupAllowance = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Asking again after a first round slower than the timeout: incomplete traces get this long more, not the
    /// whole lookup allowance, so that spans really lost do not hold a check of many traces for minutes.
    /// </summary>
    private static readonly TimeSpan RetryAfterSlowRound = TimeSpan.FromSeconds(10);

    private readonly HttpClient _http;
    private readonly int _concurrency;

    public TraceChecker(Uri queryBaseUri, int concurrency = 8)
    {
        _http = new HttpClient { BaseAddress = queryBaseUri, Timeout = TimeSpan.FromSeconds(30) };
        _http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/x-protobuf"));
        _concurrency = concurrency;
    }

    /// <param name="expected">The acknowledged span IDs by hex trace ID.</param>
    /// <param name="timeout">How long data may take to become queryable; one round of lookups is allowed on top.</param>
    /// <param name="cancellationToken">Cancels the check.</param>
    public async Task<CheckResult> CheckAsync(IReadOnlyDictionary<string, ulong[]> expected, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var firstRoundLimit = timeout + LookupAllowance * Math.Ceiling(expected.Count / (double)_concurrency);
        var retryUntil = timeout;
        var firstRound = true;
        var stopwatch = Stopwatch.StartNew();
        var outcomes = new ConcurrentDictionary<string, TraceOutcome>(StringComparer.Ordinal);
        var duplicates = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        var lookups = 0;
        var failed = 0;
        var pending = expected.Keys.ToList();
        while (true)
        {
            using var round = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var limit = firstRound ? firstRoundLimit : retryUntil;
            round.CancelAfter(limit - stopwatch.Elapsed is var left && left > TimeSpan.FromSeconds(1) ? left : TimeSpan.FromSeconds(1));
            try
            {
                await Parallel.ForEachAsync(pending, new ParallelOptions { MaxDegreeOfParallelism = _concurrency, CancellationToken = round.Token }, async (traceId, ct) =>
                {
                    Interlocked.Increment(ref lookups);
                    var stored = await TryGetSpanIdsAsync(traceId, ct);
                    if (stored is null)
                    {
                        Interlocked.Increment(ref failed);
                        return;
                    }

                    var outcome = Compare(expected[traceId], stored);
                    outcomes[traceId] = outcome;
                    // A duplicate in any answer is a failure, even if a later answer is clean.
                    duplicates.AddOrUpdate(traceId, outcome.Duplicates, (_, d) => Math.Max(d, outcome.Duplicates));
                });
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // The deadline passed during a round; what was answered counts.
            }

            if (firstRound && stopwatch.Elapsed + RetryAfterSlowRound > timeout)
            {
                retryUntil = stopwatch.Elapsed + RetryAfterSlowRound;
            }

            firstRound = false;

            pending = [.. pending.Where(t => !outcomes.TryGetValue(t, out var o) || o.Missing > 0)];
            if (pending.Count == 0 || stopwatch.Elapsed >= retryUntil)
            {
                break;
            }

            await Task.Delay(RoundInterval, cancellationToken);
        }

        long Missing(string traceId) => outcomes.TryGetValue(traceId, out var o) ? o.Missing : expected[traceId].Length;
        IEnumerable<ulong> MissingOf(string traceId)
        {
            var stored = outcomes.TryGetValue(traceId, out var o) ? o.Stored : [];
            return expected[traceId].Where(s => !stored.Contains(s)).Order();
        }

        // SpanWorkload's span IDs end with the span's chaos.sequence plus one in their low 32 bits.
        string MissingSpanIds(string traceId) => string.Join(", ", MissingOf(traceId).Take(3).Select(Hex)) + (Missing(traceId) > 3 ? ", ..." : string.Empty);
        var incomplete = pending.Order(StringComparer.Ordinal).ToList();

        return new CheckResult(
            expected.Count,
            expected.Values.Sum(s => (long)s.Length),
            expected.Keys.Sum(Missing),
            duplicates.Values.Sum(),
            outcomes.Values.Sum(o => o.Unacknowledged),
            stopwatch.Elapsed,
            lookups,
            failed,
            [.. incomplete.Take(5).Select(t => $"{t}: {Missing(t)} of {expected[t].Length} missing, span {MissingSpanIds(t)}")],
            expected.Keys.Where(t => Missing(t) == 0).ToHashSet(StringComparer.Ordinal),
            [.. incomplete.SelectMany(t => MissingOf(t).Select(s => (t, s))).Take(MaxMissingIds)]);
    }

    public void Dispose() => _http.Dispose();

    /// <summary>A span ID as 16 lowercase hex digits, as in OTLP/JSON and Query.Api's answers.</summary>
    public static string Hex(ulong spanId) => spanId.ToString("x16", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The span IDs in the trace as returned (copies included), empty when not found, null when the lookup failed.</summary>
    private async Task<List<ulong>?> TryGetSpanIdsAsync(string traceId, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await _http.GetAsync(new Uri("traces/" + traceId, UriKind.Relative), cancellationToken);
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                return [];
            }

            if (!response.IsSuccessStatusCode)
            {
                return null;
            }

            var trace = TracesData.Parser.ParseFrom(await response.Content.ReadAsByteArrayAsync(cancellationToken));
            return [.. trace.ResourceSpans
                .SelectMany(r => r.ScopeSpans)
                .SelectMany(s => s.Spans)
                .Select(s => BinaryPrimitives.ReadUInt64BigEndian(s.SpanId.Span))];
        }
        catch (HttpRequestException)
        {
            return null;
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return null; // the request's own timeout
        }
    }

    private static TraceOutcome Compare(ulong[] expected, List<ulong> stored)
    {
        var want = expected.ToHashSet();
        var seen = new HashSet<ulong>();
        long duplicates = 0, unacknowledged = 0;
        foreach (var spanId in stored)
        {
            if (!seen.Add(spanId))
            {
                duplicates++;
            }
            else if (!want.Contains(spanId))
            {
                unacknowledged++;
            }
        }

        return new TraceOutcome(want.Count(s => !seen.Contains(s)), duplicates, unacknowledged, seen);
    }

    private readonly record struct TraceOutcome(long Missing, long Duplicates, long Unacknowledged, HashSet<ulong> Stored);
}
