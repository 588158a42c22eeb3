using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Batcher.Worker.Batching;

/// <summary>The batcher's meter and activity source, both named <c>OtelStorage.Batcher</c>.</summary>
public sealed class BatcherTelemetry : IDisposable
{
    public const string Name = "OtelStorage.Batcher";

    public static readonly ActivitySource Source = new(Name);

    private readonly Meter _meter;
    private Func<(double AgeSeconds, long Spans)> _openBatches = () => (0, 0);

    public BatcherTelemetry(IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(Name);
        SpansConsumed = _meter.CreateCounter<long>("otelstorage.batcher.spans.consumed", "{span}", "Spans received from the queue and added to a batch.");
        MessagesConsumed = _meter.CreateCounter<long>("otelstorage.batcher.messages.consumed", "{message}", "Messages received from the queue.");
        BlocksWritten = _meter.CreateCounter<long>("otelstorage.batcher.blocks.written", "{block}", "Blocks committed (meta.json written).");
        BlockBytes = _meter.CreateCounter<long>("otelstorage.batcher.block.bytes", "By", "Bytes of committed blocks (data and index).");
        BlockSize = _meter.CreateHistogram<long>("otelstorage.batcher.block.size", "By", "Size of each committed block (data and index).");
        FlushDuration = _meter.CreateHistogram<double>("otelstorage.batcher.flush.duration", "s", "From cutting a batch to acknowledging its messages: encode, upload and commit, retries included.");
        ObjectStoreErrors = _meter.CreateCounter<long>("otelstorage.batcher.objectstore.errors", "{error}", "Failed block writes; each is retried.");
        DeadLettered = _meter.CreateCounter<long>("otelstorage.batcher.messages.dead_lettered", "{message}", "Messages sent to the dead-letter queue, by reason.");
        _meter.CreateObservableGauge("otelstorage.batcher.open_batch.age", () => _openBatches().AgeSeconds, "s", "Age of the oldest open batch.");
        _meter.CreateObservableGauge("otelstorage.batcher.open_batch.spans", () => _openBatches().Spans, "{span}", "Spans in open batches.");
    }

    public Counter<long> SpansConsumed { get; }

    public Counter<long> MessagesConsumed { get; }

    public Counter<long> BlocksWritten { get; }

    public Counter<long> BlockBytes { get; }

    public Histogram<long> BlockSize { get; }

    public Histogram<double> FlushDuration { get; }

    public Counter<long> ObjectStoreErrors { get; }

    public Counter<long> DeadLettered { get; }

    /// <summary>Where the open-batch gauges read from; set by the running consumer session.</summary>
    public void ObserveOpenBatches(Func<(double AgeSeconds, long Spans)> observe) => _openBatches = observe;

    public void Dispose() => _meter.Dispose();
}
