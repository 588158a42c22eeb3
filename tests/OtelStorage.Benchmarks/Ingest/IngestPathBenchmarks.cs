using System.Buffers;
using BenchmarkDotNet.Attributes;
using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OtelStorage.Otlp.Splitting;
using OtelStorage.Otlp.Validation;
using OtelStorage.Workload;

namespace OtelStorage.Benchmarks.Ingest;

/// <summary>
/// Ingest.Api's CPU path for one realistic 512-span request. A request that fits one message is checked on the wire
/// and its bytes copied into the message body (<see cref="WireValidateCopy"/>, what Ingest.Api does); any other is
/// decoded, validated, split and encoded per batch (<see cref="DecodeValidateSplitEncode"/>). Times are per span
/// (OperationsPerInvoke), so spans/s = 1e9 / ns.
/// </summary>
[MemoryDiagnoser]
public class IngestPathBenchmarks
{
    private const int Spans = 512;

    private byte[] _body = [];

    /// <summary>Message size budget: one message for this request at 256 KiB, several at 64 KiB.</summary>
    [Params(64 * 1024, 256 * 1024)]
    public int MaxMessageBytes { get; set; }

    [GlobalSetup]
    public void Setup() => _body = RealisticTraces.Request(Spans).ToByteArray();

    [Benchmark(Baseline = true, OperationsPerInvoke = Spans)]
    public ExportTraceServiceRequest Decode() => ExportTraceServiceRequest.Parser.ParseFrom(_body);

    [Benchmark(OperationsPerInvoke = Spans)]
    public int DecodeValidateSplit()
    {
        var request = ExportTraceServiceRequest.Parser.ParseFrom(_body);
        SpanValidator.RemoveInvalidSpans(request);
        return SpanBatchSplitter.Split(request, MaxMessageBytes, _body).Count;
    }

    [Benchmark(OperationsPerInvoke = Spans)]
    public int DecodeValidateSplitEncode()
    {
        var request = ExportTraceServiceRequest.Parser.ParseFrom(_body);
        SpanValidator.RemoveInvalidSpans(request);
        var written = 0;
        foreach (var batch in SpanBatchSplitter.Split(request, MaxMessageBytes, _body))
        {
            var buffer = ArrayPool<byte>.Shared.Rent(batch.EncodedSize);
            if (batch.Encoded.IsEmpty)
            {
                batch.Request!.WriteTo(buffer.AsSpan(0, batch.EncodedSize));
            }
            else
            {
                batch.Encoded.Span.CopyTo(buffer);
            }

            written += batch.EncodedSize;
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return written;
    }

    [Benchmark(OperationsPerInvoke = Spans)]
    public int WireValidateCopy()
    {
        if (_body.Length > MaxMessageBytes || !WireSpanValidator.TryValidate(_body, SpanLimits.Default, out var spans))
        {
            return DecodeValidateSplitEncode();
        }

        var buffer = ArrayPool<byte>.Shared.Rent(_body.Length);
        _body.CopyTo(buffer, 0);
        ArrayPool<byte>.Shared.Return(buffer);
        return spans;
    }
}
