namespace CartCrossSell.Streams.Tests;

/// <summary>Kestrel listens on every interface for any host it cannot read as an address: only * and addresses pass.</summary>
public class ListenAddressTests
{
    [Theory]
    [InlineData("*", "http://0.0.0.0:8080")]
    [InlineData("localhost", "http://localhost:8080")]
    [InlineData("Localhost", "http://localhost:8080")]
    [InlineData("127.0.0.1", "http://127.0.0.1:8080")]
    [InlineData("::1", "http://[::1]:8080")]
    [InlineData("::", "http://[::]:8080")]
    public void Star_localhost_and_bare_addresses_listen_where_they_say(string host, string url)
    {
        ListenAddress.Validate(host, "Web:Host");
        Assert.Equal(url, ListenAddress.Url(host, 8080));
    }

    [Theory]
    [InlineData("shop.example")]
    [InlineData("999.1.1.1")]
    [InlineData("[::1]")]
    [InlineData("[::1]:80")]
    [InlineData("127.0.0.1:80")]
    [InlineData("+")]
    [InlineData(" ")]
    public void A_name_a_bracketed_address_or_an_address_with_a_port_is_refused_naming_the_key(string host)
    {
        var e = Assert.Throws<OptionsValidationException>(() => ListenAddress.Validate(host, "Web:Host"));
        Assert.StartsWith("Web:Host", e.Message);
    }
}
