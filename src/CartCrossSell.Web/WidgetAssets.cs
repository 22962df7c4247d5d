using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace CartCrossSell.Web;

/// <summary>The files the host serves as they are: the widget (one dependency-free file) and the demo shop's page, embedded in the assembly.</summary>
public static class WidgetAssets
{
    public const string WidgetPath = "/widget/cart-cross-sell.js";

    public static readonly Asset Widget = Asset.Load("cart-cross-sell.js", "text/javascript; charset=utf-8");
    public static readonly Asset ShopPage = Asset.Load("shop.html", "text/html; charset=utf-8");

    public static void Map(IEndpointRouteBuilder app) => app.MapGet(WidgetPath, Widget.ServeAsync);

    /// <summary>An embedded file with a content hash as its ETag, so browsers revalidate cheaply.</summary>
    public sealed record Asset(byte[] Bytes, string ContentType, string ETag)
    {
        public static Asset Load(string name, string contentType)
        {
            using var stream = typeof(WidgetAssets).Assembly.GetManifestResourceStream("CartCrossSell.Web.Assets." + name)
                               ?? throw new InvalidOperationException($"embedded asset '{name}' is missing");
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            var bytes = copy.ToArray();
            return new Asset(bytes, contentType, $"\"{Convert.ToHexStringLower(SHA256.HashData(bytes))[..16]}\"");
        }

        public async Task ServeAsync(HttpContext context)
        {
            context.Response.Headers.ETag = ETag;
            context.Response.Headers.CacheControl = "no-cache";
            if (context.Request.Headers.IfNoneMatch == ETag)
            {
                context.Response.StatusCode = StatusCodes.Status304NotModified;
                return;
            }
            context.Response.ContentType = ContentType;
            context.Response.ContentLength = Bytes.Length;
            await context.Response.Body.WriteAsync(Bytes, context.RequestAborted);
        }
    }
}
