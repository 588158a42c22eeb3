namespace Ingest.Api.Options;

/// <summary>CORS for browser exporters on <c>/v1/traces</c>. Bound from the <c>Ingest:Cors</c> section.</summary>
public sealed class IngestCorsOptions
{
    public const string SectionName = "Ingest:Cors";

    /// <summary>Origins allowed to export, for example <c>https://app.example.com</c>, or <c>*</c> for any. Empty disables CORS.</summary>
    public List<string> AllowedOrigins { get; set; } = [];
}
