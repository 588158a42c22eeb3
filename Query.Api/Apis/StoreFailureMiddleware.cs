using Query.Api.Formats;

namespace Query.Api.Apis;

/// <summary>
/// Answers a request that failed because the object store could not be read (unreachable, erroring after the SDK's
/// retries, or serving an object that fails its checksum) with a 503 and <c>Retry-After</c>, as JSON that names the
/// failure: the native error body, Jaeger's envelope on Jaeger routes so Grafana shows the message, or api_v3's error
/// object on <c>/api/v3</c>. Without it such requests would end as unhandled exceptions, an empty 500. Blocks deleted while
/// being read are not failures: the readers skip them.
/// </summary>
public sealed partial class StoreFailureMiddleware(RequestDelegate next, ILogger<StoreFailureMiddleware> logger)
{
    private const int RetryAfterSeconds = 5;

    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context);
        }
        catch (Exception e) when (IsStoreFailure(e) && !context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested)
        {
            LogStoreFailure(e, context.Request.Method, context.Request.Path.Value ?? "");
            var message = $"the object store could not be read ({e.GetType().Name}: {e.Message}); try again";
            context.Response.Clear();
            context.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (context.Request.Path.StartsWithSegments("/api/v3"))
            {
                context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                await context.Response.WriteAsJsonAsync(new JaegerV3Error(new JaegerV3ErrorDetails(StatusCodes.Status503ServiceUnavailable, message)));
                return;
            }

            if (IsJaegerRoute(context.Request.Path))
            {
                context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                await context.Response.WriteAsJsonAsync(new JaegerResponse<object>(null, 0, 0, 0, [new JaegerError(StatusCodes.Status503ServiceUnavailable, message)]));
                return;
            }

            await ErrorResults.Write(context, StatusCodes.Status503ServiceUnavailable, message);
        }
    }

    internal static bool IsStoreFailure(Exception e) =>
        e is Amazon.Runtime.AmazonServiceException or Amazon.Runtime.AmazonClientException or HttpRequestException or TimeoutException
        || (e is IOException && e is not FileNotFoundException and not DirectoryNotFoundException);

    private static bool IsJaegerRoute(PathString path) =>
        path.StartsWithSegments("/api/services") || path.StartsWithSegments("/api/operations")
        || path.StartsWithSegments("/api/traces") || path.StartsWithSegments("/api/dependencies");

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Method} {Path} failed: the object store could not be read")]
    private partial void LogStoreFailure(Exception exception, string method, string path);
}
