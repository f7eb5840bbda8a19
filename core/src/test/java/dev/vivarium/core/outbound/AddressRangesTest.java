package dev.vivarium.core.outbound;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.net.InetAddress;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class AddressRangesTest {

    @ParameterizedTest
    @ValueSource(
            strings = {
                "127.0.0.1",
                "127.255.255.254",
                "10.0.0.1",
                "172.16.0.1",
                "172.31.255.255",
                "192.168.1.1",
                "169.254.169.254",
                "169.254.1.1",
                "100.64.0.1",
                "100.127.255.255",
                "0.0.0.0",
                "0.1.2.3",
                "224.0.0.1",
                "239.255.255.250",
                "255.255.255.255",
                "240.0.0.1",
                "198.18.0.1",
                "192.0.0.170",
                "::",
                "::1",
                "fe80::1",
                "febf::1",
                "fc00::1",
                "fd12:3456::1",
                "fd00:ec2::254",
                "ff02::1",
                "fec0::1",
                "::127.0.0.1",
                "::ffff:10.0.0.1",
                "64:ff9b::7f00:1",
                "64:ff9b::808:808",
                "64:ff9b:1::1",
                "2002:7f00:1::",
                "2001:0:4136:e378:8000:63bf:3fff:fdd2",
            })
    void refusesNonPublicAddresses(String ip) throws Exception {
        assertNotNull(AddressRanges.nonPublicReason(InetAddress.getByName(ip)), ip);
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "8.8.8.8",
                "93.184.216.34",
                "172.15.255.255",
                "172.32.0.1",
                "100.63.255.255",
                "100.128.0.1",
                "169.253.1.1",
                "192.0.2.1",
                "2606:4700:4700::1111",
                "2001:db8::1",
                "2001:4860:4860::8888",
            })
    void allowsPublicAddresses(String ip) throws Exception {
        assertNull(AddressRanges.nonPublicReason(InetAddress.getByName(ip)), ip);
    }
}
