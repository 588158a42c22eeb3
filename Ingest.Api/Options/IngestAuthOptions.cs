using System.ComponentModel.DataAnnotations;
using OtelStorage.Tenancy;

namespace Ingest.Api.Options;

/// <summary>Optional API keys for ingest, each bound to tenants or to all. Bound from the <c>Ingest:Auth</c> section.</summary>
public sealed class IngestAuthOptions : IValidatableObject
{
    public const string SectionName = "Ingest:Auth";

    /// <summary>
    /// Accepted keys (<c>Ingest:Auth:ApiKeys:0:Key</c>, <c>...:0:Tenants:0</c>). Empty (the default) means no
    /// authentication. Keys are never logged.
    /// </summary>
    public List<ApiKeyOptions> ApiKeys { get; set; } = [];

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext) =>
        ApiKeys.SelectMany((key, i) => key.Validate(validationContext).Select(r => new ValidationResult($"{SectionName}:ApiKeys:{i}: {r.ErrorMessage}", r.MemberNames)));
}
