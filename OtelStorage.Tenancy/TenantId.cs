using System.Text.RegularExpressions;

namespace OtelStorage.Tenancy;

/// <summary>
/// The tenant from <c>X-Scope-OrgID</c> (DESIGN.md, "Tenancy and security"). Tenant names appear in object keys; the
/// pattern admits no '/', '.' or '%', so a tenant can never reach outside its own key prefix.
/// </summary>
public static partial class TenantId
{
    public const string HeaderName = "X-Scope-OrgID";

    /// <summary>The tenant used when a request names none.</summary>
    public const string Default = "single-tenant";

    /// <summary>\z, not $: $ also matches before a final newline, which would let "acme\n" into object keys.</summary>
    public const string Pattern = @"^[A-Za-z0-9_-]{1,64}\z";

    public static bool IsValid(string? tenant) => tenant is not null && TenantRegex().IsMatch(tenant);

    /// <summary>The tenant named by a request header: the default when it is absent or empty, or an error naming the rule.</summary>
    public static bool TryResolve(string? header, out string tenant, out string? error)
    {
        if (string.IsNullOrEmpty(header))
        {
            (tenant, error) = (Default, null);
            return true;
        }

        if (IsValid(header))
        {
            (tenant, error) = (header, null);
            return true;
        }

        tenant = string.Empty;
        error = $"{HeaderName} must be 1 to 64 characters of A-Z, a-z, 0-9, '_' or '-', got \"{(header.Length <= 70 ? header : header[..70] + "…")}\".";
        return false;
    }

    /// <summary>Throws <see cref="ArgumentException"/> naming the rule when <paramref name="tenant"/> is not a valid tenant.</summary>
    public static string Validate(string? tenant) =>
        IsValid(tenant)
            ? tenant!
            : throw new ArgumentException($"tenant must match {Pattern} (1 to 64 letters, digits, '_' or '-'), got '{tenant}'", nameof(tenant));

    [GeneratedRegex(Pattern, RegexOptions.CultureInvariant)]
    private static partial Regex TenantRegex();
}
