using System.Text.RegularExpressions;

namespace OtelStorage.Storage.Blocks;

/// <summary>
/// Tenant names as they appear in object keys. The pattern admits no '/', '.' or '..', so a tenant can never
/// reach outside its own key prefix.
/// </summary>
public static partial class TenantId
{
    /// <summary>The tenant used when a request names none (DESIGN.md, "Tenancy and security").</summary>
    public const string Default = "single-tenant";

    public const string Pattern = "^[A-Za-z0-9_-]{1,64}$";

    public static bool IsValid(string? tenant) => tenant is not null && TenantRegex().IsMatch(tenant);

    /// <summary>Throws <see cref="ArgumentException"/> naming the rule when <paramref name="tenant"/> is not a valid tenant.</summary>
    public static string Validate(string? tenant) =>
        IsValid(tenant)
            ? tenant!
            : throw new ArgumentException($"tenant must match {Pattern} (1 to 64 letters, digits, '_' or '-'), got '{tenant}'", nameof(tenant));

    [GeneratedRegex(Pattern, RegexOptions.CultureInvariant)]
    private static partial Regex TenantRegex();
}
