using OpenTelemetry.Proto.Collector.Trace.V1;

namespace OtelStorage.Chaos.Tests.Load;

/// <summary>Where <see cref="OtlpLoadDriver"/> takes its export requests from. One producer calls it: it need not be thread-safe.</summary>
public interface IExportWorkload
{
    /// <summary>Spans handed out so far.</summary>
    long SpansGenerated { get; }

    /// <summary>The next request, with span IDs not used before in the run.</summary>
    ExportTraceServiceRequest NextRequest();
}
