using RabbitMQ.Client;

namespace Batcher.Worker.Batching;

/// <summary>
/// Acknowledges deliveries once their block is committed (or their message dead-lettered), with as few frames as
/// possible: one <c>multiple</c> ack for everything below the oldest delivery still pending, and single acks for
/// the rest. Completions are serialized, so a multiple ack never overtakes a single ack it covers, and no tag is
/// ever acknowledged twice (which would close the channel).
/// </summary>
internal sealed class AckTracker(IChannel channel) : IDisposable
{
    private readonly SortedSet<ulong> _pending = [];
    private readonly SemaphoreSlim _gate = new(1, 1);

    public int PendingCount
    {
        get
        {
            lock (_pending)
            {
                return _pending.Count;
            }
        }
    }

    public void Dispose() => _gate.Dispose();

    /// <summary>Records a delivery that must be acknowledged later.</summary>
    public void Track(ulong deliveryTag)
    {
        lock (_pending)
        {
            _pending.Add(deliveryTag);
        }
    }

    /// <summary>Acknowledges <paramref name="deliveryTags"/>, whose work is durable.</summary>
    public async Task CompleteAsync(IReadOnlyCollection<ulong> deliveryTags, CancellationToken cancellationToken)
    {
        if (deliveryTags.Count == 0)
        {
            return;
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            var low = Remove(deliveryTags);

            ulong multiple = 0;
            var singles = new List<ulong>();
            foreach (var tag in deliveryTags)
            {
                if (tag < low)
                {
                    multiple = Math.Max(multiple, tag);
                }
                else
                {
                    singles.Add(tag);
                }
            }

            if (multiple > 0)
            {
                await channel.BasicAckAsync(multiple, multiple: true, cancellationToken);
            }

            foreach (var tag in singles)
            {
                await channel.BasicAckAsync(tag, multiple: false, cancellationToken);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Rejects <paramref name="deliveryTags"/> without requeueing: the broker moves them to the queue's dead-letter exchange.</summary>
    public async Task RejectAsync(IReadOnlyCollection<ulong> deliveryTags, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            Remove(deliveryTags);
            foreach (var tag in deliveryTags)
            {
                await channel.BasicNackAsync(tag, multiple: false, requeue: false, cancellationToken);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Stops tracking the tags; returns the oldest tag still pending, below which a multiple ack is safe.</summary>
    private ulong Remove(IReadOnlyCollection<ulong> deliveryTags)
    {
        lock (_pending)
        {
            foreach (var tag in deliveryTags)
            {
                _pending.Remove(tag);
            }

            return _pending.Count == 0 ? ulong.MaxValue : _pending.Min;
        }
    }
}
