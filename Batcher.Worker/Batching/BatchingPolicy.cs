namespace Batcher.Worker.Batching;

/// <summary>
/// When open batches are cut and how large the prefetch window is, without a broker or a block builder.
/// <see cref="ConsumerSession"/> tells it what each message added to which tenant's batch and which batches it cut,
/// and does what it answers. A batch is cut by whichever limit it reaches first: spans, bytes, half the prefetch
/// window in messages, or age; at shutdown every open batch is cut. Not thread-safe, except <see cref="Observe"/>.
/// </summary>
internal sealed class BatchingPolicy
{
    /// <summary>The first window assumes Ingest.Api's largest messages (its default split size), then follows the average seen.</summary>
    public const double InitialMessageBytes = 256 * 1024;

    /// <summary>Messages between two checks of the prefetch window against the average size.</summary>
    public const int WindowCheckMessages = 64;

    private const long NoBatch = long.MinValue;

    private readonly BatcherOptions _options;
    private readonly TimeProvider _time;
    private readonly TimeSpan _timeout;
    private readonly Dictionary<string, OpenBatch> _open = new(StringComparer.Ordinal);
    private double _averageMessageBytes = InitialMessageBytes;
    private int _sinceWindowCheck;
    private int _openMessages;

    // Read by the open-batch gauges on another thread.
    private long _openSpans;
    private long _oldestOpenedAt = NoBatch;

    public BatchingPolicy(BatcherOptions options, TimeProvider time)
    {
        _options = options;
        _time = time;
        _timeout = TimeSpan.FromMilliseconds(options.BatchTimeoutMs);
    }

    /// <summary>The window the consumer subscribed with (<see cref="Subscribed"/>); 0 before it subscribes.</summary>
    public int Window { get; private set; }

    /// <summary>The window to subscribe with first.</summary>
    public int InitialWindow => _options.PrefetchFor(InitialMessageBytes);

    /// <summary>The moving average of message sizes, over about the last <see cref="WindowCheckMessages"/> messages.</summary>
    public double AverageMessageBytes => _averageMessageBytes;

    /// <summary>A batch is cut when its messages reach this, so open batches never hold the whole prefetch window.</summary>
    public int MaxBatchMessages => Math.Max(1, Window / 2);

    /// <summary>Messages in open batches.</summary>
    public int OpenMessages => _openMessages;

    /// <summary>Records that the consumer now subscribes with a window of <paramref name="window"/> messages.</summary>
    public void Subscribed(int window) => Window = window;

    /// <summary>
    /// Follows the size of every message taken, batched or not. Returns a new window when the one in use is off by
    /// more than a quarter from <see cref="BatcherOptions.PrefetchBytes"/> worth of messages of the average size,
    /// checked every <see cref="WindowCheckMessages"/> messages, so re-subscribing is rare; otherwise null.
    /// </summary>
    public int? FollowMessageSize(int bytes)
    {
        _averageMessageBytes += (bytes - _averageMessageBytes) / WindowCheckMessages;
        if (++_sinceWindowCheck < WindowCheckMessages)
        {
            return null;
        }

        _sinceWindowCheck = 0;
        var window = _options.PrefetchFor(_averageMessageBytes);
        return Math.Abs(window - Window) * 4 > Window ? window : null;
    }

    /// <summary>
    /// Records a message of <paramref name="spans"/> spans and <paramref name="bytes"/> protobuf bytes added to
    /// <paramref name="tenant"/>'s batch, which opens now if it is not open. Returns the batch to cut, if any: this
    /// one when it reached a limit, or the one with the most messages when all open batches together hold half the
    /// window, so deliveries keep flowing.
    /// </summary>
    public BatchCut? Add(string tenant, int spans, long bytes)
    {
        if (!_open.TryGetValue(tenant, out var batch))
        {
            batch = new OpenBatch(_time.GetTimestamp());
            _open[tenant] = batch;
        }

        batch.Spans += spans;
        batch.Bytes += bytes;
        batch.Messages++;
        _openMessages++;
        Interlocked.Add(ref _openSpans, spans);
        UpdateOldest();

        if (batch.Spans >= _options.BatchSize)
        {
            return new BatchCut(tenant, CutReason.Size);
        }

        if (batch.Bytes >= _options.BatchMaxBytes)
        {
            return new BatchCut(tenant, CutReason.Bytes);
        }

        if (batch.Messages >= MaxBatchMessages)
        {
            return new BatchCut(tenant, CutReason.Window);
        }

        return _openMessages >= MaxBatchMessages
            ? new BatchCut(_open.MaxBy(b => b.Value.Messages).Key, CutReason.Window)
            : null;
    }

    /// <summary>Records that <paramref name="tenant"/>'s batch was cut: its messages leave the open batches.</summary>
    public void Remove(string tenant)
    {
        if (_open.Remove(tenant, out var batch))
        {
            _openMessages -= batch.Messages;
            Interlocked.Add(ref _openSpans, -batch.Spans);
            UpdateOldest();
        }
    }

    /// <summary>How long until the oldest open batch is due (zero when overdue), or null when none is open.</summary>
    public TimeSpan? UntilNextDeadline()
    {
        if (_open.Count == 0)
        {
            return null;
        }

        var remaining = _timeout - _time.GetElapsedTime(Interlocked.Read(ref _oldestOpenedAt));
        return remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero;
    }

    /// <summary>The batches open for <see cref="BatcherOptions.BatchTimeoutMs"/> or longer.</summary>
    public List<BatchCut> Expired() =>
        [.. _open.Where(b => _time.GetElapsedTime(b.Value.OpenedAt) >= _timeout).Select(b => new BatchCut(b.Key, CutReason.Time))];

    /// <summary>Every open batch, to cut at shutdown.</summary>
    public List<BatchCut> AtShutdown() => [.. _open.Keys.Select(tenant => new BatchCut(tenant, CutReason.Shutdown))];

    /// <summary>The age of the oldest open batch and the spans in open batches, for the gauges; safe from any thread.</summary>
    public (double AgeSeconds, long Spans) Observe()
    {
        var oldest = Interlocked.Read(ref _oldestOpenedAt);
        return (oldest == NoBatch ? 0 : _time.GetElapsedTime(oldest).TotalSeconds, Interlocked.Read(ref _openSpans));
    }

    private void UpdateOldest() =>
        Interlocked.Exchange(ref _oldestOpenedAt, _open.Count == 0 ? NoBatch : _open.Values.Min(b => b.OpenedAt));

    private sealed class OpenBatch(long openedAt)
    {
        public long OpenedAt { get; } = openedAt;

        public long Spans { get; set; }

        public long Bytes { get; set; }

        public int Messages { get; set; }
    }
}
