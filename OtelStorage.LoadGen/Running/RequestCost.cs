using Google.Protobuf;
using OtelStorage.LoadGen.Verification;
using OtelStorage.LoadGen.Workload;
using OtelStorage.Workload;

namespace OtelStorage.LoadGen.Running;

/// <summary>One path's CPU time for <see cref="Spans"/> spans, from <c>Process.TotalProcessorTime</c>.</summary>
public sealed record RequestCostFigure(string Path, long Spans, TimeSpan Cpu)
{
    public double MicrosecondsPerSpan => Cpu.TotalMicroseconds / Spans;
}

/// <summary>
/// What making requests costs the load generator in CPU per span, sending nothing: the template path (patch, and
/// patch plus tracking for --verify) against generating and serializing with <see cref="RealisticSpanGenerator"/>,
/// the way a send would go without templates. Each path is warmed up first. Run by the <c>measure</c> command.
/// </summary>
public static class RequestCost
{
    public static IReadOnlyList<RequestCostFigure> Measure(int seed, int spansPerRequest, long templateSpans, long spans)
    {
        var started = LoadRunner.ProcessCpuTime();
        var pool = RequestTemplatePool.Generate(seed, seed, spansPerRequest, Math.Min(templateSpans, spans));
        return
        [
            new("template pool, generated once per run", pool.SpanCount, LoadRunner.ProcessCpuTime() - started),
            Run("patch (grpc, http/protobuf)", count => Patch(pool, count, ledger: null), spans),
            Run("patch + track (--verify)", count => Patch(pool, count, new SpanLedger()), spans),
            Run("generate + serialize (RealisticSpanGenerator)", count => Generate(seed, spansPerRequest, count), spans),
        ];
    }

    private static RequestCostFigure Run(string path, Func<long, long> makeSpans, long spans)
    {
        makeSpans(Math.Max(1, spans / 10));
        var started = LoadRunner.ProcessCpuTime();
        var made = makeSpans(spans);
        return new RequestCostFigure(path, made, LoadRunner.ProcessCpuTime() - started);
    }

    private static long Patch(RequestTemplatePool pool, long spans, SpanLedger? ledger)
    {
        var patched = 0L;
        while (patched < spans)
        {
            using var request = pool.Next(LoadRunner.UnixNanoNow());
            ledger?.Acknowledge(request);
            patched += request.SpanCount;
        }

        return patched;
    }

    private static long Generate(int seed, int spansPerRequest, long spans)
    {
        var generator = new RealisticSpanGenerator(seed);
        foreach (var request in generator.Requests(spans, spansPerRequest))
        {
            _ = request.ToByteArray();
        }

        return generator.SpanCount;
    }
}
