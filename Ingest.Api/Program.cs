using Ingest.Api.Apis;
using Ingest.Api.Extensions;
using Ingest.Api.Grpc;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

app.UseCors();
app.UseMiddleware<GrpcFrameGuard>();
app.MapDefaultEndpoints();
app.MapOtlpHttpApi();
app.MapOtlpGrpcApi();

app.Run();
