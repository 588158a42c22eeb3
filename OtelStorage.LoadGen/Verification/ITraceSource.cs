namespace OtelStorage.LoadGen.Verification;

/// <summary>Where verification looks traces up.</summary>
public interface ITraceSource
{
    /// <summary>The span IDs stored for a trace (duplicates included, as returned), or null when the trace is unknown.</summary>
    Task<IReadOnlyList<ulong>?> GetSpanIdsAsync(string traceIdHex, CancellationToken cancellationToken);
}
