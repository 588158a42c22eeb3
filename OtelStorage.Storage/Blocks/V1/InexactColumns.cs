namespace OtelStorage.Storage.Blocks.V1;

/// <summary>
/// The promoted columns of a span (or, OR-ed, of a row group) that do not hold their first key's value although the
/// span has that key: its value has another type, the key is repeated, or the older key's value stands in. Where a
/// column's flag is clear, a condition on the first key can be checked on the column alone (<see cref="ColumnPredicate"/>).
/// </summary>
[Flags]
internal enum InexactColumns : byte
{
    None = 0,
    Service = 1,
    HttpMethod = 2,
    HttpStatusCode = 4,
    HttpRoute = 8,
    DbSystem = 16,

    /// <summary>What an index written before these flags were kept says: nothing is known.</summary>
    All = Service | HttpMethod | HttpStatusCode | HttpRoute | DbSystem,
}
