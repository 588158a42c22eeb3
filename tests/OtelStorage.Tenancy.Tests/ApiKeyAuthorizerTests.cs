using System.ComponentModel.DataAnnotations;
using Xunit;

namespace OtelStorage.Tenancy.Tests;

/// <summary>API keys bound to tenants: who may act for which tenant, and what a refusal says.</summary>
public sealed class ApiKeyAuthorizerTests
{
    private const string AcmeKey = "acme-key-0123456789";
    private const string AnyTenantKey = "admin-key-0123456789";

    private static readonly ApiKeyAuthorizer Authorizer = new(
    [
        new ApiKeyOptions { Key = AcmeKey, Tenants = ["acme", "acme-staging"] },
        new ApiKeyOptions { Key = AnyTenantKey },
    ]);

    [Fact]
    public void WithoutKeysEveryRequestIsAllowed()
    {
        var open = new ApiKeyAuthorizer([]);

        Assert.False(open.Enabled);
        Assert.Equal(ApiKeyDecision.Allowed, open.Authorize(null, null, "acme"));
    }

    [Theory]
    [InlineData(null, AcmeKey, "acme")]
    [InlineData(null, AcmeKey, "acme-staging")]
    [InlineData("Bearer " + AcmeKey, null, "acme")]
    [InlineData("bearer  " + AcmeKey + " ", null, "acme")]
    [InlineData(null, AnyTenantKey, "globex")]
    [InlineData("Bearer " + AnyTenantKey, null, "acme")]
    public void AKeyMayActForItsTenantsAndAKeyWithoutTenantsForAny(string? authorization, string? apiKey, string tenant)
    {
        Assert.True(Authorizer.Enabled);
        Assert.Equal(ApiKeyDecision.Allowed, Authorizer.Authorize(authorization, apiKey, tenant));
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData(null, "")]
    [InlineData("Basic YWNtZTpzZWNyZXQ=", null)]
    [InlineData("Bearer ", null)]
    [InlineData(null, "not-a-configured-key")]
    [InlineData(null, AcmeKey + "x")]
    [InlineData("Bearer " + AcmeKey, "not-a-configured-key")]
    public void NoKeyOrAnUnknownKeyIsUnauthenticated(string? authorization, string? apiKey) =>
        Assert.Equal(ApiKeyDecision.Unauthenticated, Authorizer.Authorize(authorization, apiKey, "acme"));

    [Fact]
    public void AKnownKeyForAnotherTenantIsForbidden() =>
        Assert.Equal(ApiKeyDecision.Forbidden, Authorizer.Authorize(null, AcmeKey, "globex"));

    [Fact]
    public void RefusalsNameTheHeadersAndTheTenantButNeverTheKey()
    {
        var unauthenticated = ApiKeyAuthorizer.Explain(ApiKeyDecision.Unauthenticated, "acme");
        var forbidden = ApiKeyAuthorizer.Explain(ApiKeyDecision.Forbidden, "globex");

        Assert.Contains("X-API-Key", unauthenticated, StringComparison.Ordinal);
        Assert.Contains("Authorization: Bearer", unauthenticated, StringComparison.Ordinal);
        Assert.Contains("'globex'", forbidden, StringComparison.Ordinal);
        Assert.Contains(TenantId.HeaderName, forbidden, StringComparison.Ordinal);
        Assert.DoesNotContain(AcmeKey, unauthenticated + forbidden, StringComparison.Ordinal);
        Assert.Equal(string.Empty, ApiKeyAuthorizer.Explain(ApiKeyDecision.Allowed, "acme"));
    }

    [Fact]
    public void AKeyShorterThan16CharactersOrBoundToAnInvalidTenantIsRejectedAtStart()
    {
        var options = new ApiKeyOptions { Key = "short", Tenants = ["acme", "../other"] };

        var errors = options.Validate(new ValidationContext(options)).Select(r => r.ErrorMessage).ToList();

        Assert.Equal(
        [
            "every API key must be at least 16 characters",
            $"API key tenant '../other' does not match {TenantId.Pattern}",
        ], errors);
    }

    [Fact]
    public void AKeyOf16CharactersBoundToValidTenantsIsAccepted()
    {
        var options = new ApiKeyOptions { Key = new string('k', ApiKeyOptions.MinimumLength), Tenants = ["acme"] };

        Assert.Empty(options.Validate(new ValidationContext(options)));
    }
}
