using OpenTelemetry.Proto.Trace.V1;
using OtelStorage.Storage.Blocks;
using static Query.Api.Tests.TestSpans;
using Code = OpenTelemetry.Proto.Trace.V1.Status.Types.StatusCode;
using Kind = OpenTelemetry.Proto.Trace.V1.Span.Types.SpanKind;

namespace Query.Api.Tests;

/// <summary>
/// Three traces over two blocks, with block B repeating two spans of block A (as a redelivery after a crash does):
/// trace 1 frontend → cart (cart fails), trace 2 frontend alone, trace 3 payment alone.
/// </summary>
internal static class Shop
{
    public static Span Root1 => Span(1, 1, null, "GET /api/cart", 0, 100, Kind.Server, Code.Unset, ("http.route", "/api/cart"), ("http.response.status_code", 200));

    public static Span Client1 => Span(1, 2, 1, "POST /cart/add", 10, 50, Kind.Client, Code.Unset, ("http.request.method", "POST"));

    public static Span Cart1 => Span(1, 3, 2, "POST /cart/add", 12, 40, Kind.Server, Code.Error, ("http.route", "/cart/add"), ("app.user", "alice"));

    public static Span Root2 => Span(2, 4, null, "GET /", 200, 30, Kind.Server, Code.Ok, ("http.route", "/"));

    public static Span Payment3 => Span(3, 5, null, "Charge", 300, 500, Kind.Server, Code.Unset, ("app.user", "bob"), ("amount", 12.5));

    public static async Task<(BlockMeta A, BlockMeta B)> SeedAsync(QueryApiFixture fixture, string tenant)
    {
        var a = await fixture.WriteBlockAsync(tenant, [Request("frontend", Root1, Client1), Request("cart", Cart1)]);
        var b = await fixture.WriteBlockAsync(tenant, [Request("frontend", Client1, Root2), Request("cart", Cart1), Request("payment", Payment3)]);
        return (a, b);
    }
}
