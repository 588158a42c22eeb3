namespace OtelStorage.LoadGen.Verification;

/// <summary>Where verification reads traces back.</summary>
public interface ITraceSource
{
    /// <summary>
    /// The spans stored for each of the traces, as returned (copies included), by hex trace ID; a trace that is
    /// unknown is absent. Null when the lookup failed (an error answer, or none), so that the traces are asked again.
    /// </summary>
    Task<IReadOnlyDictionary<string, IReadOnlyList<SpanFingerprint>>?> GetSpansAsync(IReadOnlyList<string> traceIdsHex, CancellationToken cancellationToken);
}
