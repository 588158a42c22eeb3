using System.Globalization;
using System.Text.Json;
using OtelStorage.LoadGen.Verification;

namespace OtelStorage.LoadGen.Running;

/// <summary>The end-of-run report, as text for people and as JSON for scripts (make bench).</summary>
public sealed record RunSummary(
    string Protocol,
    double Seconds,
    long SpansSent,
    long SpansAcknowledged,
    long SpansRejected,
    long Requests,
    long FailedRequests,
    IReadOnlyDictionary<string, long> ErrorsByKind,
    double AcknowledgedSpansPerSecond,
    double LatencyP50Ms,
    double LatencyP90Ms,
    double LatencyP99Ms,
    double LatencyMaxMs,
    double LoadGeneratorCpuSeconds,
    double LoadGeneratorCpuSecondsPerMillionSpans,
    VerificationResult? Verification)
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public static RunSummary From(LoadRunner runner, LoadOptions options, VerificationResult? verification)
    {
        var s = runner.Statistics;
        var seconds = runner.Elapsed.Elapsed.TotalSeconds;
        return new RunSummary(
            options.Protocol.ToString(),
            seconds,
            s.SpansSent,
            s.SpansAcknowledged,
            s.SpansRejected,
            s.Requests,
            s.FailedRequests,
            s.ErrorsByKind.ToDictionary(),
            s.SpansAcknowledged / Math.Max(seconds, 0.001),
            s.Latency.Percentile(50),
            s.Latency.Percentile(90),
            s.Latency.Percentile(99),
            s.Latency.Percentile(100),
            runner.CpuTime.TotalSeconds,
            s.SpansAcknowledged > 0 ? runner.CpuTime.TotalSeconds / s.SpansAcknowledged * 1e6 : 0,
            verification);
    }

    /// <summary>A failed request, a rejected span or a span not read back fails the run.</summary>
    public bool Succeeded => FailedRequests == 0 && SpansRejected == 0 && (Verification?.Passed ?? true);

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public void WriteText(TextWriter output)
    {
        var c = CultureInfo.InvariantCulture;
        output.WriteLine(string.Create(c, $"protocol {Protocol}, {Seconds:F1} s"));
        output.WriteLine(string.Create(c, $"spans sent          {SpansSent,14:N0}"));
        output.WriteLine(string.Create(c, $"spans acknowledged  {SpansAcknowledged,14:N0}  ({AcknowledgedSpansPerSecond:N0} spans/s)"));
        output.WriteLine(string.Create(c, $"spans rejected      {SpansRejected,14:N0}"));
        output.WriteLine(string.Create(c, $"requests            {Requests,14:N0}  failed {FailedRequests:N0}"));
        foreach (var (kind, count) in ErrorsByKind.OrderByDescending(e => e.Value))
        {
            output.WriteLine(string.Create(c, $"  {kind,-30} {count,10:N0}"));
        }

        output.WriteLine(string.Create(c, $"export latency ms   p50 {LatencyP50Ms:F1}  p90 {LatencyP90Ms:F1}  p99 {LatencyP99Ms:F1}  max {LatencyMaxMs:F1}"));
        output.WriteLine(string.Create(c, $"load generator CPU  {LoadGeneratorCpuSeconds,14:F2} s  ({LoadGeneratorCpuSecondsPerMillionSpans:F2} CPU-s per million acknowledged spans)"));
        if (Verification is { } v)
        {
            output.WriteLine(string.Create(c, $"verified traces     {v.Traces,14:N0}"));
            output.WriteLine(string.Create(c, $"verified spans      {v.FoundSpans,14:N0} of {v.ExpectedSpans:N0} acknowledged  missing {v.MissingSpans:N0}  duplicates {v.DuplicateSpans:N0}  altered {v.AlteredSpans:N0}  never sent {v.NeverSentSpans:N0}  after {v.TimeToComplete.TotalSeconds:F1} s"));
            output.WriteLine(string.Create(c, $"  traces complete only when asked again (not yet queryable at the first check) {v.LateTraces:N0}"));
            output.WriteLine(string.Create(c, $"  lookups {v.Lookups:N0}, failed {v.FailedLookups:N0} (asked again)"));
            foreach (var m in v.Missing)
            {
                output.WriteLine(string.Create(c, $"  missing trace {m.TraceId} span {m.SpanId}"));
            }
        }

        output.WriteLine(Succeeded ? "result: OK" : "result: FAILED (" + string.Join(", ", FailureReasons()) + ")");
    }

    /// <summary>Why the run failed, so that a refused request (which clients retry) is told apart from a lost span.</summary>
    private IEnumerable<string> FailureReasons()
    {
        var c = CultureInfo.InvariantCulture;
        if (FailedRequests > 0)
        {
            yield return string.Create(c, $"{FailedRequests:N0} requests failed");
        }

        if (SpansRejected > 0)
        {
            yield return string.Create(c, $"{SpansRejected:N0} spans rejected");
        }

        if (Verification is { } v)
        {
            if (v.MissingSpans > 0)
            {
                yield return string.Create(c, $"{v.MissingSpans:N0} acknowledged spans missing");
            }

            if (v.DuplicateSpans > 0)
            {
                yield return string.Create(c, $"{v.DuplicateSpans:N0} duplicates");
            }

            if (v.AlteredSpans > 0)
            {
                yield return string.Create(c, $"{v.AlteredSpans:N0} spans read back altered");
            }

            if (v.NeverSentSpans > 0)
            {
                yield return string.Create(c, $"{v.NeverSentSpans:N0} spans read back that were never sent");
            }
        }
    }
}
