using Xunit;

namespace OtelStorage.Tenancy.Tests;

/// <summary>The tenant name rule: tenant names become object key segments, so nothing may reach outside its prefix.</summary>
public sealed class TenantIdTests
{
    [Theory]
    [InlineData("acme")]
    [InlineData("single-tenant")]
    [InlineData("Team_42")]
    [InlineData("a")]
    [InlineData("0123456789012345678901234567890123456789012345678901234567890123")]
    public void LettersDigitsUnderscoresAndDashesUpTo64AreATenant(string tenant)
    {
        Assert.True(TenantId.IsValid(tenant));
        Assert.Equal(tenant, TenantId.Validate(tenant));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("../other")]
    [InlineData("a/b")]
    [InlineData("a.b")]
    [InlineData("a%2Fb")]
    [InlineData("has space")]
    [InlineData("ténant")]
    [InlineData("01234567890123456789012345678901234567890123456789012345678901234")]
    public void AnythingElseIsNotATenant(string? tenant)
    {
        Assert.False(TenantId.IsValid(tenant));
        var error = Assert.Throws<ArgumentException>(() => TenantId.Validate(tenant));
        Assert.Contains(TenantId.Pattern, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void ARequestWithoutATenantHeaderUsesTheSingleTenant(string? header)
    {
        Assert.True(TenantId.TryResolve(header, out var tenant, out var error));
        Assert.Equal(TenantId.Default, tenant);
        Assert.Equal("single-tenant", tenant);
        Assert.Null(error);
    }

    [Fact]
    public void AValidHeaderIsTheTenant()
    {
        Assert.True(TenantId.TryResolve("acme", out var tenant, out var error));
        Assert.Equal("acme", tenant);
        Assert.Null(error);
    }

    [Fact]
    public void AnInvalidHeaderIsAnErrorNamingTheHeaderTheRuleAndTheValue()
    {
        Assert.False(TenantId.TryResolve("../other", out var tenant, out var error));

        Assert.Equal(string.Empty, tenant);
        Assert.Equal("X-Scope-OrgID must be 1 to 64 characters of A-Z, a-z, 0-9, '_' or '-', got \"../other\".", error);
    }

    [Fact]
    public void AnOverlongHeaderIsQuotedOnlyInPart()
    {
        var header = new string('x', 65) + "/" + new string('y', 100);

        Assert.False(TenantId.TryResolve(header, out _, out var error));

        Assert.Contains("got \"" + header[..70] + "…\".", error, StringComparison.Ordinal);
        Assert.DoesNotContain(new string('y', 10), error, StringComparison.Ordinal);
    }
}
