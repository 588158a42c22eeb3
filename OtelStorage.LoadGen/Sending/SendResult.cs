namespace OtelStorage.LoadGen.Sending;

/// <summary>
/// The outcome of one export. <see cref="Acknowledged"/> means the server answered success; it may still have
/// rejected some spans (partial success), counted in <see cref="RejectedSpans"/>.
/// </summary>
public readonly record struct SendResult(bool Acknowledged, long RejectedSpans, string? ErrorKind)
{
    public static SendResult Success(long rejected) => new(true, rejected, null);

    public static SendResult Failure(string kind) => new(false, 0, kind);
}
