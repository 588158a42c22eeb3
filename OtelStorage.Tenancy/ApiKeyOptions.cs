using System.ComponentModel.DataAnnotations;

namespace OtelStorage.Tenancy;

/// <summary>One API key, and the tenants it may act for.</summary>
public sealed class ApiKeyOptions : IValidatableObject
{
    /// <summary>Shortest key accepted: 16 characters keeps guessing out of reach of online attempts.</summary>
    public const int MinimumLength = 16;

    /// <summary>The secret, sent as <c>X-API-Key: KEY</c> or <c>Authorization: Bearer KEY</c>. It is never logged.</summary>
    public string Key { get; set; } = string.Empty;

    /// <summary>The tenants this key may use (<c>X-Scope-OrgID</c>). Empty means every tenant.</summary>
    public List<string> Tenants { get; set; } = [];

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Key.Length < MinimumLength)
        {
            yield return new ValidationResult($"every API key must be at least {MinimumLength} characters", [nameof(Key)]);
        }

        foreach (var tenant in Tenants.Where(t => !TenantId.IsValid(t)))
        {
            yield return new ValidationResult($"API key tenant '{tenant}' does not match {TenantId.Pattern}", [nameof(Tenants)]);
        }
    }
}
