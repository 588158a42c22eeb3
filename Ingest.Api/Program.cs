using Ingest.Api.Apis;
using Ingest.Api.Extensions;
using Ingest.Api.Grpc;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

app.UseCors();
// After CORS, so preflights are answered without a permit; before the frame guard, which reads the gRPC message header.
app.UseRateLimiter();
app.UseMiddleware<GrpcFrameGuard>();
app.MapDefaultEndpoints();
app.MapOtlpHttpApi();
app.MapOtlpGrpcApi();

app.Run();
