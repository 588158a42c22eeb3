using System.Net;
using System.Text.Json;
using Xunit;
using static Query.Api.Tests.TestSpans;

namespace Query.Api.Tests;

public sealed class StoreFailureTests(QueryApiFixture fixture)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AnIndexTheStoreServesCorruptedGivesA503ThatSaysSoOnTheNativeJaegerAndJaegerV3Routes()
    {
        var tenant = QueryApiFixture.NewTenant();
        var meta = await fixture.WriteBlockAsync(tenant, [Request("shop", Span(7, 1, null, "GET /cart", 0, 5))]);
        // s3rver keeps each object's MD5 beside its bytes: changing the bytes makes every full GET of the object fail
        // the AWS SDK's checksum check, as a store that serves a damaged object does.
        var index = Path.Combine(fixture.S3.DataDirectory, fixture.S3.Bucket, fixture.ObjectStoreOptions.Prefix, tenant, meta.BlockId, "index.bin._S3rver_object");
        var bytes = await File.ReadAllBytesAsync(index, Ct);
        bytes[^1] ^= 0xFF;
        await File.WriteAllBytesAsync(index, bytes, Ct);
        var client = fixture.Client(tenant);

        using var native = await client.GetAsync($"/traces/{Hex(TraceId(7))}", Ct);
        using var jaeger = await client.GetAsync($"/api/traces/{Hex(TraceId(7))}", Ct);
        using var jaegerV3 = await client.GetAsync($"/api/v3/traces/{Hex(TraceId(7))}", Ct);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, native.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(5), native.Headers.RetryAfter?.Delta);
        var error = JsonDocument.Parse(await native.Content.ReadAsStringAsync(Ct)).RootElement;
        Assert.Equal(503, error.GetProperty("status").GetInt32());
        Assert.Contains("the object store could not be read", error.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, jaeger.StatusCode);
        var jaegerError = JsonDocument.Parse(await jaeger.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("errors")[0];
        Assert.Equal(503, jaegerError.GetProperty("code").GetInt32());
        Assert.Contains("the object store could not be read", jaegerError.GetProperty("msg").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, jaegerV3.StatusCode);
        var v3Error = JsonDocument.Parse(await jaegerV3.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("error");
        Assert.Equal(503, v3Error.GetProperty("httpCode").GetInt32());
        Assert.Contains("the object store could not be read", v3Error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }
}
