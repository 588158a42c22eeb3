using Query.Api.Reading;
using Query.Api.Telemetry;

namespace Query.Api.Apis;

/// <summary>
/// Turns a <see cref="QueryParameterException"/> thrown by a handler into a 400 that carries its
/// message, in the error shape of the handler's API: the native error body (native and Tempo APIs), Jaeger's envelope, or
/// Jaeger api_v3's error object.
/// </summary>
public static class QueryParameterErrors
{
    /// <summary>400s as <see cref="ErrorResponse"/>, the native and Tempo APIs' error body.</summary>
    public static TBuilder WithNativeParameterErrors<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithParameterErrors(message => ErrorResults.BadRequest(message));

    /// <summary>400s in Jaeger's envelope (<c>{"data":null,...,"errors":[{"code":400,"msg":...}]}</c>), which Grafana shows.</summary>
    public static TBuilder WithJaegerParameterErrors<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithParameterErrors(message => JaegerApi.Error(StatusCodes.Status400BadRequest, message));

    /// <summary>400s in Jaeger api_v3's gateway shape (<c>{"error":{"httpCode":400,"message":...}}</c>).</summary>
    public static TBuilder WithJaegerV3ParameterErrors<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithParameterErrors(message => JaegerV3Api.Error(StatusCodes.Status400BadRequest, message));

    /// <summary>Counts this route's 400s in <see cref="QueryTelemetry.Request"/> as <paramref name="operation"/> with outcome <c>bad_request</c>.</summary>
    public static RouteHandlerBuilder CountsBadRequestsAs(this RouteHandlerBuilder route, string operation) =>
        route.WithMetadata(new BadRequestOperation(operation));

    private static TBuilder WithParameterErrors<TBuilder>(this TBuilder builder, Func<string, IResult> badRequest) where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(async (context, next) =>
        {
            try
            {
                return await next(context);
            }
            catch (QueryParameterException e)
            {
                var http = context.HttpContext;
                if (http.GetEndpoint()?.Metadata.GetMetadata<BadRequestOperation>() is { } counted)
                {
                    http.RequestServices.GetRequiredService<QueryTelemetry>().Request(counted.Operation, "bad_request");
                }

                return badRequest(e.Message);
            }
        });

    private sealed record BadRequestOperation(string Operation);
}
