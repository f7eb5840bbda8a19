package dev.vivarium.spring.boot.it;

import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/** A user's Boot app: nothing of Vivarium in it but the starter on the class path. */
@SpringBootApplication
public class BootApp {
    @RestController
    static class Plain {
        @GetMapping("/plain")
        String plain() {
            return "from Spring MVC";
        }
    }
}
