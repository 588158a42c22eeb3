using System.Text.Json.Serialization;

namespace Query.Api.Apis;

/// <summary>The native API's error body: what was wrong and what to do.</summary>
public sealed record ErrorResponse([property: JsonPropertyName("error")] string Error, [property: JsonPropertyName("status")] int Status);

/// <summary>Errors of the native and Tempo APIs as JSON; the Jaeger API wraps them in its envelope instead.</summary>
public static class ErrorResults
{
    public static Microsoft.AspNetCore.Http.HttpResults.JsonHttpResult<ErrorResponse> BadRequest(string message) =>
        TypedResults.Json(new ErrorResponse(message, 400), statusCode: 400);

    public static Microsoft.AspNetCore.Http.HttpResults.JsonHttpResult<ErrorResponse> NotFound(string message) =>
        TypedResults.Json(new ErrorResponse(message, 404), statusCode: 404);

    public static Task Write(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(new ErrorResponse(message, status));
    }
}
