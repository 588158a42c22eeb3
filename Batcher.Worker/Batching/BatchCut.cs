namespace Batcher.Worker.Batching;

/// <summary>Why an open batch is cut into a block.</summary>
internal enum CutReason
{
    /// <summary>It holds <see cref="BatcherOptions.BatchSize"/> spans.</summary>
    Size,

    /// <summary>Its messages hold <see cref="BatcherOptions.BatchMaxBytes"/> protobuf bytes.</summary>
    Bytes,

    /// <summary>It, or all open batches together, hold half the prefetch window in messages.</summary>
    Window,

    /// <summary>It has been open for <see cref="BatcherOptions.BatchTimeoutMs"/>.</summary>
    Time,

    /// <summary>The consumer is shutting down and flushes every open batch.</summary>
    Shutdown,
}

/// <summary>The open batch of <paramref name="Tenant"/> is to be cut, for <paramref name="Reason"/>.</summary>
internal readonly record struct BatchCut(string Tenant, CutReason Reason);
