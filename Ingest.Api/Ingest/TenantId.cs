using System.Text.RegularExpressions;

namespace Ingest.Api.Ingest;

/// <summary>The tenant from <c>X-Scope-OrgID</c> (../shared/DESIGN.md, Tenancy and security).</summary>
public static partial class TenantId
{
    public const string HeaderName = "X-Scope-OrgID";

    public const string Default = "single-tenant";

    /// <summary>The tenant named by <paramref name="header"/>, the default when it is absent, or an error.</summary>
    public static bool TryResolve(string? header, out string tenant, out string? error)
    {
        if (string.IsNullOrEmpty(header))
        {
            tenant = Default;
            error = null;
            return true;
        }

        if (Pattern().IsMatch(header))
        {
            tenant = header;
            error = null;
            return true;
        }

        tenant = string.Empty;
        error = $"{HeaderName} must be 1 to 64 characters of A-Z, a-z, 0-9, '_' or '-', got \"{(header.Length <= 70 ? header : header[..70] + "…")}\".";
        return false;
    }

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}
