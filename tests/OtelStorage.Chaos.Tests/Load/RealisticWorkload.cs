using OpenTelemetry.Proto.Collector.Trace.V1;
using OtelStorage.LoadGen.Workload;

namespace OtelStorage.Chaos.Tests.Load;

/// <summary>
/// The load generator's data set (<see cref="RequestTemplatePool"/>): a 12-service shop's traces of 4 to 30 spans,
/// whole traces per request, each send with fresh trace and span IDs and current timestamps.
/// </summary>
public sealed class RealisticWorkload(RequestTemplatePool templates) : IExportWorkload
{
    public long SpansGenerated { get; private set; }

    /// <summary>The data and the IDs follow from <paramref name="seed"/>; each run of the suite starts on an empty store.</summary>
    public static RealisticWorkload Generate(int seed, int spansPerRequest, long templateSpans) =>
        new(RequestTemplatePool.Generate(seed, seed, spansPerRequest, templateSpans));

    public ExportTraceServiceRequest NextRequest()
    {
        using var patched = templates.Next((ulong)(DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100);
        SpansGenerated += patched.SpanCount;
        // Parsed, so that the driver acknowledges and reports spans as for any other workload.
        return ExportTraceServiceRequest.Parser.ParseFrom(patched.Bytes.Span);
    }
}
