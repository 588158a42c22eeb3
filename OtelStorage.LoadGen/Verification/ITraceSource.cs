namespace OtelStorage.LoadGen.Verification;

/// <summary>Where verification reads traces back.</summary>
public interface ITraceSource
{
    /// <summary>
    /// The spans stored for a trace, as returned (copies included); empty when the trace is unknown, null when the
    /// lookup failed (an error answer, or none), so that the trace is asked again.
    /// </summary>
    Task<IReadOnlyList<SpanFingerprint>?> GetSpansAsync(string traceIdHex, CancellationToken cancellationToken);
}
