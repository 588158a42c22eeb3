using Microsoft.AspNetCore.Http.HttpResults;

namespace Query.Api.Apis;

/// <summary>
/// A GET that matches no route gets a JSON 404 naming the path, instead of an empty body. Path parameters that are
/// not one segment (an encoded slash, <c>..</c> resolved away) end here too.
/// </summary>
public static class NotFoundApi
{
    public static IEndpointRouteBuilder MapNotFoundApi(this IEndpointRouteBuilder app)
    {
        // GET and HEAD only: another method on a known path keeps routing's 405 with its Allow header. The pattern
        // matches every path: the default fallback pattern skips paths whose last segment looks like a file name.
        app.MapFallback("{*path}", NotFound)
            .WithMetadata(new HttpMethodMetadata([HttpMethods.Get, HttpMethods.Head]))
            .WithName("NotFound")
            .ExcludeFromDescription();
        return app;
    }

    public static JsonHttpResult<ErrorResponse> NotFound(HttpContext context) =>
        ErrorResults.NotFound($"no route matches {context.Request.Method} {context.Request.Path}; the routes are listed in /openapi/v1.json");
}
