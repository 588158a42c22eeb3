namespace OtelStorage.Messaging.Publishing;

public enum PublishOutcome
{
    /// <summary>The broker confirmed every message.</summary>
    Confirmed,

    /// <summary>The queue is over its size limit (the broker nacked under <c>reject-publish</c>) or in-flight memory is full.</summary>
    Throttled,

    /// <summary>The broker is unreachable, or did not confirm in time, or could not route the message.</summary>
    Unavailable,
}

/// <summary>The outcome of publishing one request's messages, with a reason for failures.</summary>
public readonly record struct PublishResult(PublishOutcome Outcome, string? Reason = null)
{
    public static PublishResult Confirmed { get; } = new(PublishOutcome.Confirmed);
}
