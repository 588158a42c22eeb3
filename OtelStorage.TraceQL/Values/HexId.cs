namespace OtelStorage.TraceQL.Values;

/// <summary>
/// Trace and span IDs as TraceQL sees them: lower-case hex strings. Comparisons with <c>=</c> and <c>!=</c> ignore case and
/// leading zeros, as Tempo's hex IDs drop them, so <c>{ trace:id = "00ab" }</c> and <c>{ trace:id = "AB" }</c> agree.
/// </summary>
public static class HexId
{
    /// <summary>The hex string of <paramref name="id"/>; nil for an empty ID such as a root span's parent.</summary>
    public static TraceQLValue Value(byte[] id) => id.Length == 0 ? TraceQLValue.Nil : TraceQLValue.String(Convert.ToHexStringLower(id));

    /// <summary>Lower case, without leading zeros; "0" for an all-zero ID.</summary>
    public static string Normalize(string hex)
    {
        var trimmed = hex.TrimStart('0').ToLowerInvariant();
        return trimmed.Length == 0 ? "0" : trimmed;
    }
}
