namespace Ingest.Api.Options;

/// <summary>Optional API keys. Bound from the <c>Ingest:Auth</c> section.</summary>
public sealed class IngestAuthOptions
{
    public const string SectionName = "Ingest:Auth";

    /// <summary>
    /// Accepted keys, sent as <c>Authorization: Bearer KEY</c> or <c>X-API-Key: KEY</c>. Empty (the default)
    /// means no authentication. Keys are never logged.
    /// </summary>
    public List<string> ApiKeys { get; set; } = [];
}
